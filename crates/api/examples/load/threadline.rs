//! The load benchmarks' client's calls to the server, shared by `load` and `cluster`.
//!
//! # Layout
//! - [`prepare_agents`]: agents and their sessions written straight into the database.
//! - [`visitor_session`]: a new visitor and its contact.
//! - [`open_stream`]: a ticket, then the event stream it opens (resuming after an event id);
//!   [`open_agent_stream`] for an agent.
//! - [`agent_with_chat`]: an agent takes a new visitor's chat and opens their stream.
//! - [`stream_lines`]: a streaming body, line by line; [`client_id_of`]: the message in an
//!   event.

use serde_json::{json, Value};
use threadline_api::auth::hash_password;
use threadline_api::store::Store;
use tokio::io::AsyncBufReadExt;

/// Creates `count` agents (`bench<i>`, capacity 1000) with a session each on `database_url`,
/// before the server starts; returns their bearer tokens. One password hash serves all.
pub async fn prepare_agents(database_url: &str, count: usize) -> Vec<String> {
    let store = Store::connect(database_url).await.expect("database");
    let hash = hash_password("bench-password").expect("hash");
    let mut tokens = Vec::with_capacity(count);
    for i in 0..count {
        let id = store
            .create_agent(
                &format!("bench{i}"),
                &format!("Bench Agent {i}"),
                &hash,
                1000,
                wire::Role::Agent,
            )
            .await
            .expect("agent");
        tokens.push(super::common::session_token(&store, id).await);
    }
    store.close().await;
    tokens
}

/// A new visitor session on the server: its token and its contact's id.
pub async fn visitor_session(client: &reqwest::Client, base: &str, name: &str) -> (String, i64) {
    let s: Value = client
        .post(format!("{base}/api/visitor/session"))
        .json(&json!({ "name": name }))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    let token = s["visitor_token"].as_str().expect("token").to_owned();
    let contact = s["contact_id"].as_i64().expect("contact");
    (token, contact)
}

/// An open server event stream: asks for a ticket as `bearer`, then opens the stream with it,
/// resuming after event `last_event_id` when given (`Last-Event-ID`). The error says which
/// step failed, for a client that tries again.
pub async fn open_stream(
    client: &reqwest::Client,
    base: &str,
    ticket_path: &str,
    stream_path: &str,
    bearer: &str,
    last_event_id: Option<i64>,
) -> Result<reqwest::Response, String> {
    let answer = client
        .post(format!("{base}{ticket_path}"))
        .bearer_auth(bearer)
        .send()
        .await
        .map_err(|e| format!("ticket: {e}"))?;
    if !answer.status().is_success() {
        return Err(format!("ticket: HTTP {}", answer.status()));
    }
    let t: Value = answer.json().await.map_err(|e| format!("ticket: {e}"))?;
    let ticket = t["ticket"].as_str().ok_or("ticket: no ticket")?;
    let mut request = client.get(format!("{base}{stream_path}?ticket={ticket}"));
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let resp = request.send().await.map_err(|e| format!("stream: {e}"))?;
    if resp.status().is_success() {
        Ok(resp)
    } else {
        Err(format!("stream: HTTP {}", resp.status()))
    }
}

/// Lines of a streaming response body.
pub fn stream_lines(
    resp: reqwest::Response,
) -> tokio::io::Lines<tokio::io::BufReader<impl tokio::io::AsyncRead>> {
    use futures_util::TryStreamExt;
    let stream = resp.bytes_stream().map_err(std::io::Error::other);
    tokio::io::BufReader::new(tokio_util::io::StreamReader::new(stream)).lines()
}

/// The `client_id` an event's (or an nchan publication's) `data:` holds, if any: the client's
/// own id of the message it carries.
pub fn client_id_of(data: &str) -> Option<&str> {
    let start = data.find("\"client_id\":\"")? + "\"client_id\":\"".len();
    data[start..].split('"').next()
}

/// An agent's event stream (as `bearer`), resuming after `last_event_id` when given.
pub async fn open_agent_stream(
    client: &reqwest::Client,
    base: &str,
    bearer: &str,
    last_event_id: Option<i64>,
) -> Result<reqwest::Response, String> {
    open_stream(
        client,
        base,
        "/api/events/ticket",
        "/api/events",
        bearer,
        last_event_id,
    )
    .await
}

/// A new visitor called `name` whose chat the agent (`bearer`) takes, then the agent's event
/// stream: the visitor's token and the open stream.
pub async fn agent_with_chat(
    client: &reqwest::Client,
    base: &str,
    bearer: &str,
    name: &str,
) -> (String, reqwest::Response) {
    let (visitor, contact) = visitor_session(client, base, name).await;
    let chat = client
        .post(format!("{base}/api/contacts/{contact}/chat"))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("chat");
    assert!(chat.status().is_success(), "chat: {}", chat.status());
    let stream = open_agent_stream(client, base, bearer, None)
        .await
        .expect("agent stream");
    (visitor, stream)
}
