//! Erasing a contact at their request, over real HTTP on SQLite and PostgreSQL.
//!
//! - `a_contact_is_erased_with_everything_kept_of_them`: Kim Zeller chats on the website
//!   (a picture, a word only she wrote, an email she gave), Ann transfers the chat to Ben with
//!   a note about her, Ben answers and marks it Done; Lee Park chats beside her. While the chat
//!   is open the erasure is refused and changes nothing. The administrator exports what is kept
//!   of her (an agent may not): her details, the chat, the whole conversation in order with
//!   the picture. Then the administrator erases Kim:
//!   the answer counts what went, every agent is told (`contact_erased`), her widget is told to
//!   reload and its stream closes, her session no longer opens, her contact, conversation,
//!   picture and words are not found by any route, and no text column of any table of the
//!   database holds her name, her email or her words (the audit log's transfer note included);
//!   the audit log says who erased her, with counts only. Lee's contact, conversation and
//!   search are untouched.
//! - `only_an_administrator_erases_and_only_what_exists`: an agent and a supervisor are
//!   refused (403), an unknown contact is 404, a contact whose chat waits in the queue is 409;
//!   nothing changed; a visitor who never wrote is erased with nothing but their session.
//! - `contacts_past_the_retention_are_erased`: with a retention of 10 days, the demo's
//!   contacts whose last chat is older (Tom Becker 12 days, Priya Nair 15, Omar Haddad 11)
//!   are erased by the server itself, audited with no actor; the younger ones and a new
//!   visitor stay.

mod common;

use common::{Agent, Backend, Caller, Events, Server, Visitor};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Row;
use wire::accounts::AuditPage;
use wire::api::{ContactExport, ConversationPage, ErasedContact, SearchResults};
use wire::{ContactId, Event};

on_both!(
    a_contact_is_erased_with_everything_kept_of_them,
    only_an_administrator_erases_and_only_what_exists,
    contacts_past_the_retention_are_erased,
);

/// Kim's name, email and the word only she wrote: none may be left anywhere after.
const KIM: &str = "Kim Zeller";
const KIM_EMAIL: &str = "kim.zeller@example.org";
const KIM_WORD: &str = "quokkaberry";
/// Lee's word: still found after Kim is erased.
const LEE_WORD: &str = "marmalite";

async fn erase(caller: &Agent, contact: ContactId) -> (u16, Value) {
    caller
        .call(
            Method::DELETE,
            &format!("/api/admin/contacts/{contact}"),
            None,
        )
        .await
}

/// Every text column of every table of the database (the full-text index's own tables aside,
/// which hold no text of their own on SQLite), each with how many of its values contain
/// `needle`: the ones that do.
async fn columns_holding(s: &Server, needle: &str) -> Vec<String> {
    let pool = s.db.pool().await;
    let postgres = s.db.url.starts_with("postgres");
    let columns: Vec<(String, String)> = if postgres {
        sqlx::query(
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
             WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying') \
             AND table_name::text <> '_sqlx_migrations'",
        )
        .fetch_all(&pool)
        .await
    } else {
        sqlx::query(
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'messages_fts%' \
             AND m.name <> '_sqlx_migrations' AND upper(p.type) = 'TEXT'",
        )
        .fetch_all(&pool)
        .await
    }
    .expect("the schema's text columns")
    .iter()
    .map(|r| (r.get("t"), r.get("c")))
    .collect();
    assert!(
        columns.len() > 20,
        "the schema's text columns were found: {columns:?}"
    );
    let mut holding = Vec::new();
    for (table, column) in columns {
        let n: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE lower({column}) LIKE $1"
        ))
        .bind(format!("%{}%", needle.to_lowercase()))
        .fetch_one(&pool)
        .await
        .expect("a count")
        .get("n");
        if n > 0 {
            holding.push(format!("{table}.{column} ({n})"));
        }
    }
    pool.close().await;
    holding
}

/// On SQLite, the database's file with every commit in it (the WAL copied in and emptied):
/// the bytes a copy of the file would hold.
async fn file_bytes(s: &Server) -> Option<Vec<u8>> {
    let file = s.db.sqlite_file()?;
    let pool = s.db.pool().await;
    loop {
        // (busy, frames in the WAL, frames copied): busy while a reader of the server's holds
        // an older snapshot; the next try waits for it (the busy timeout).
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&pool)
            .await
            .expect("a checkpoint");
        if busy == 0 {
            break;
        }
    }
    pool.close().await;
    Some(std::fs::read(&file).expect("the database file"))
}

/// What of Kim a byte of the file may not hold after her erasure: her name, her email, each
/// message of her conversation and the note about her. (The search index's own terms, single
/// words in lower case, stay until their segment is merged: see the README.)
fn kim_in_bytes() -> [String; 5] {
    [
        KIM.to_owned(),
        KIM_EMAIL.to_owned(),
        format!("my {KIM_WORD} order"),
        format!("Hello {KIM}, about {KIM_WORD}"),
        format!("{KIM} asks about {KIM_WORD}"),
    ]
}

/// Kim's chat, with her picture, transferred from Ann to Ben with a note naming her, answered
/// and Done; Lee's chat with Ann beside it, still open.
struct World {
    s: Server,
    ann: Agent,
    ada: Agent,
    ann_events: Events,
    kim: Visitor,
    kim_events: Events,
    lee: Visitor,
    picture: String,
    chat: wire::InteractionId,
}

async fn world(b: Backend) -> World {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let ben = s.agent("ben").await;
    let ada = s.agent("ada").await;
    let mut ann_events = ann.events().await;
    let mut ben_events = ben.events().await;
    ann.ready().await;

    let kim = s
        .visitor_with(json!({"name": KIM, "email": KIM_EMAIL}))
        .await;
    let mut kim_events = kim.events().await;
    let (status, image) = common::upload(
        &s,
        &kim.token,
        "/api/visitor/attachments",
        common::tiny_png(),
    )
    .await;
    assert_eq!(status, 200, "upload: {image}");
    let picture = image["url"].as_str().expect("a picture url").to_owned();
    let _: Value = kim
        .post(
            "/api/visitor/messages",
            json!({"client_id": common::client_id(), "text": format!("my {KIM_WORD} order"),
                "attachment_id": image["id"]}),
        )
        .await;
    // An upload of hers never sent: hers too.
    let (status, unsent) = common::upload(
        &s,
        &kim.token,
        "/api/visitor/attachments",
        common::tiny_png(),
    )
    .await;
    assert_eq!(status, 200, "upload: {unsent}");
    let chat = ann.take_offer(&mut ann_events, "Kim's chat").await.id;

    ben.ready().await;
    let _: Value = ann
        .post(
            &format!("/api/interactions/{chat}/transfer"),
            json!({"to": {"agent": ben.id}, "note": format!("{KIM} asks about {KIM_WORD}")}),
        )
        .await;
    ben.take_offer(&mut ben_events, "Kim's chat, transferred")
        .await;
    let _: Value = ben
        .post(
            &format!("/api/contacts/{}/messages", kim.contact),
            json!({"client_id": common::client_id(), "text": format!("Hello {KIM}, about {KIM_WORD}")}),
        )
        .await;
    kim_events
        .message("Ben's answer", |m| m.text.contains("about"))
        .await;

    let lee = s.visitor("Lee Park").await;
    lee.say(&format!("a {LEE_WORD} question")).await;
    ann.take_offer(&mut ann_events, "Lee's chat").await;

    // Kim's chat is Ben's and open: refused, nothing changed.
    let (status, body) = erase(&ada, kim.contact).await;
    assert_eq!(status, 409, "refused while the chat is open: {body}");
    assert_eq!(body["error"]["code"], "conflict", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Mark Done")),
        "{body}"
    );
    let page: ConversationPage = ann
        .get(&format!("/api/contacts/{}/conversation", kim.contact))
        .await;
    assert!(page.messages.iter().any(|m| m.text.contains(KIM_WORD)));

    ben.finish(chat).await;
    World {
        s,
        ann,
        ada,
        ann_events,
        kim,
        kim_events,
        lee,
        picture,
        chat,
    }
}

async fn a_contact_is_erased_with_everything_kept_of_them(b: Backend) {
    let mut w = world(b).await;
    let kim = w.kim.contact;
    let before: ConversationPage = w
        .ann
        .get(&format!("/api/contacts/{kim}/conversation?limit=100"))
        .await;
    for needle in [KIM, KIM_EMAIL, KIM_WORD] {
        assert!(
            !columns_holding(&w.s, needle).await.is_empty(),
            "the database held {needle:?} before"
        );
    }

    if let Some(bytes) = file_bytes(&w.s).await {
        for needle in kim_in_bytes() {
            assert!(
                common::holds_bytes(&bytes, needle.as_bytes()),
                "the file held {needle:?} before"
            );
        }
    }

    // First, what she asked to see: everything kept of her, in order.
    let (status, _) = w
        .ann
        .call(
            Method::GET,
            &format!("/api/admin/contacts/{kim}/export"),
            None,
        )
        .await;
    assert_eq!(status, 403, "an agent does not export");
    let export: ContactExport = w
        .ada
        .get(&format!("/api/admin/contacts/{kim}/export"))
        .await;
    assert_eq!(export.contact.display_name(), KIM);
    assert_eq!(export.contact.email.as_deref(), Some(KIM_EMAIL));
    assert_eq!(
        export.messages, before.messages,
        "the whole conversation, in order"
    );
    assert!(export
        .messages
        .iter()
        .any(|m| m.text.contains(KIM_WORD) && m.attachment.is_some()));
    assert_eq!(
        export.interactions.iter().map(|i| i.id).collect::<Vec<_>>(),
        [w.chat]
    );

    let (status, body) = erase(&w.ada, kim).await;
    assert_eq!(status, 200, "erased: {body}");
    let erased: ErasedContact = serde_json::from_value(body).expect("an ErasedContact");
    assert_eq!(
        erased,
        ErasedContact {
            contact_id: kim,
            interactions: 1,
            messages: u64::try_from(before.messages.len()).expect("a count"),
            pictures: 2,
        }
    );

    // Every agent is told; her widget is told to reload, and her stream ends.
    w.ann_events
        .until(
            "contact_erased",
            |e| matches!(e, Event::ContactErased { contact_id } if *contact_id == kim),
        )
        .await;
    w.kim_events
        .until("resync", |e| matches!(e, Event::Resync))
        .await;
    w.kim_events.ended().await;

    // Nothing of her answers any more.
    let (status, body) = w
        .kim
        .call(Method::GET, "/api/visitor/conversation", None)
        .await;
    assert_eq!(status, 401, "her session is gone: {body}");
    for path in [
        format!("/api/contacts/{kim}"),
        format!("/api/contacts/{kim}/conversation"),
        format!("/api/interactions/{}", w.chat),
    ] {
        let (status, body) = w.ann.call(Method::GET, &path, None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _) =
        w.s.call(Method::GET, &w.picture, Some(&w.ann.token), None)
            .await;
    assert_eq!(status, 404, "her picture is gone");
    let found: SearchResults = w.ann.get(&format!("/api/search?q={KIM_WORD}")).await;
    assert!(found.hits.is_empty(), "her words are not found: {found:?}");
    let list: wire::api::ContactPage = w.ann.get("/api/contacts?limit=100").await;
    assert!(list.contacts.iter().all(|c| c.id != kim));
    let (status, body) = erase(&w.ada, kim).await;
    assert_eq!(status, 404, "erased once: {body}");
    let (status, _) = w
        .ada
        .call(
            Method::GET,
            &format!("/api/admin/contacts/{kim}/export"),
            None,
        )
        .await;
    assert_eq!(status, 404, "nothing left to export");

    // No text column of any table holds her name, her email or her words.
    for needle in [KIM, KIM_EMAIL, KIM_WORD] {
        assert_eq!(
            columns_holding(&w.s, needle).await,
            Vec::<String>::new(),
            "columns still holding {needle:?}"
        );
    }

    // Nor does a byte of the database's file (SQLite): the rows' old bytes are overwritten,
    // not only out of the tables.
    if let Some(bytes) = file_bytes(&w.s).await {
        let left: Vec<String> = kim_in_bytes()
            .into_iter()
            .filter(|needle| common::holds_bytes(&bytes, needle.as_bytes()))
            .collect();
        assert_eq!(
            left,
            Vec::<String>::new(),
            "bytes of the file still holding"
        );
    }

    // The audit log: who erased her and how much, nothing of her.
    let log: AuditPage = w
        .ada
        .get(&format!(
            "/api/admin/audit?target_kind=contact&target_id={kim}"
        ))
        .await;
    assert!(
        log.entries
            .iter()
            .any(|e| e.action == "contact.export" && e.actor == Some(w.ada.id)),
        "the export is audited"
    );
    let entry = log
        .entries
        .iter()
        .find(|e| e.action == "contact.erase")
        .expect("the erasure is audited");
    assert_eq!(entry.actor, Some(w.ada.id));
    assert_eq!(
        entry.before,
        Some(json!({"contact_id": kim, "interactions": 1,
            "messages": before.messages.len(), "pictures": 2}))
    );
    let transfer: AuditPage = w
        .ada
        .get(&format!(
            "/api/admin/audit?target_kind=interaction&target_id={}",
            w.chat
        ))
        .await;
    assert!(
        transfer
            .entries
            .iter()
            .any(|e| e.action == "interaction.transfer" && e.after.is_none()),
        "the transfer stays, without its note: {:?}",
        transfer.entries
    );

    // Lee is untouched.
    let page: ConversationPage = w
        .ann
        .get(&format!("/api/contacts/{}/conversation", w.lee.contact))
        .await;
    assert!(page.messages.iter().any(|m| m.text.contains(LEE_WORD)));
    let found: SearchResults = w.ann.get(&format!("/api/search?q={LEE_WORD}")).await;
    assert_eq!(found.hits.len(), 1, "{found:?}");
    w.lee.say("still here").await;
}

async fn only_an_administrator_erases_and_only_what_exists(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let sam = s.agent("sam").await;
    let ada = s.agent("ada").await;
    // Nobody is Ready: her chat waits in the queue.
    let kim = s.visitor(KIM).await;
    kim.say(&format!("my {KIM_WORD} order")).await;
    for (caller, status) in [(&ann, 403), (&sam, 403), (&ada, 409)] {
        let (got, body) = erase(caller, kim.contact).await;
        assert_eq!(got, status, "{body}");
    }
    let (status, body) = erase(&ada, ContactId(999_999)).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    // A path that is not a contact id: refused before anything is read.
    for path in [
        "/api/admin/contacts/kim",
        "/api/admin/contacts/1e999",
        "/api/admin/contacts/kim/export",
    ] {
        let method = if path.ends_with("/export") {
            Method::GET
        } else {
            Method::DELETE
        };
        let (status, body) = ada.call(method, path, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
    let page: ConversationPage = ann
        .get(&format!("/api/contacts/{}/conversation", kim.contact))
        .await;
    assert_eq!(page.interactions.len(), 1, "nothing changed");
    kim.say("still waiting").await;

    // A visitor who opened the chat and never wrote: only their session goes.
    let quiet = s.visitor("Quinn Quiet").await;
    let (status, body) = erase(&ada, quiet.contact).await;
    assert_eq!(status, 200, "{body}");
    let erased: ErasedContact = serde_json::from_value(body).expect("an ErasedContact");
    assert_eq!(
        (erased.interactions, erased.messages, erased.pictures),
        (0, 0, 0)
    );
    let (status, _) = quiet
        .call(Method::GET, "/api/visitor/conversation", None)
        .await;
    assert_eq!(status, 401);
}

async fn contacts_past_the_retention_are_erased(b: Backend) {
    let s = Server::start(b, |c| {
        c.contact_retention = Some(std::time::Duration::from_hours(24 * 10));
        c.prune_interval = std::time::Duration::from_millis(100);
    })
    .await;
    let ann = s.agent("ann").await;
    let ada = s.agent("ada").await;
    let newcomer = s.visitor("Nina New").await;
    newcomer.say("hello").await;
    let old = ["Tom Becker", "Priya Nair", "Omar Haddad"];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    let names = loop {
        tick.tick().await;
        let page: wire::api::ContactPage = ann.get("/api/contacts?limit=100").await;
        let names: Vec<String> = page.contacts.into_iter().map(|c| c.name).collect();
        if !names.iter().any(|n| old.contains(&n.as_str())) {
            break names;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still listed after 20 s: {names:?}"
        );
    };
    for kept in [
        "Nina New",
        "Maria Lopez",
        "Aiko Tanaka",
        "Jonas Meier",
        "Sofia Rossi",
        "Emma Dubois",
    ] {
        assert!(names.iter().any(|n| n == kept), "{kept} is kept: {names:?}");
    }
    let log: AuditPage = ada.get("/api/admin/audit?action=contact.erase").await;
    assert_eq!(log.entries.len(), old.len(), "{:?}", log.entries);
    assert!(log.entries.iter().all(|e| e.actor.is_none()));
}
