//! The outbox worker: sends agents' messages to Messenger and X (Direct Messages, and public
//! replies to Facebook comments and Tweets) from the `outbox` table.
//! Each row is claimed (state `sending`, with a lease) in a committed transaction before the
//! platform is called, and the platform's id is recorded the moment it answers, so a row is
//! sent by one worker at a time and never again once acknowledged. A server stopped between
//! the call and the record leaves the row `sending` until its lease ends; the worker that
//! recovers it sends it again (at-least-once across a crash, see the README).
//!
//! # Layout
//! - [`run`]: the loop (recover expired leases, read when the next row is due, claim, send,
//!   record; otherwise wait until the next due row, a wake-up, or a poll).
//! - [`Sender`]: the HTTP calls; [`classify`]: an answer becomes a [`SendOutcome`].
//! - [`backoff`]: the delay after the n-th failed attempt.

use crate::config::OutboundApis;
use crate::store::{OutboxJob, SendOutcome, Store};
use crate::util::now_ms;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use wire::Channel;

/// Attempts before a row fails for good.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claimed row is held before another worker may take it back.
pub const LEASE: Duration = Duration::from_mins(1);
/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_mins(5);
/// How often the worker looks for new rows when none is due sooner and nothing woke it (a
/// new row wakes it through the event log on every instance: `Internal::OutboxWaiting`).
const POLL: Duration = Duration::from_secs(2);
/// How often expired leases are looked for (at start, then on this period).
const RECOVER_EVERY: Duration = Duration::from_secs(30);

/// The delay after `attempts` failed attempts: 1 s, 2 s, 4 s … at most 5 minutes.
pub fn backoff(attempts: i64) -> Duration {
    let shift = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    Duration::from_secs(1u64 << shift).min(MAX_BACKOFF)
}

/// Makes the platform calls.
#[derive(Debug, Clone)]
pub struct Sender {
    /// One client (connection reuse), with a 10 s timeout per call.
    http: reqwest::Client,
    /// Where and with which tokens.
    apis: OutboundApis,
}

impl Sender {
    /// A sender for `apis`.
    pub fn new(apis: OutboundApis) -> Sender {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Sender { http, apis }
    }

    /// One attempt at `job`.
    pub async fn send(&self, job: &OutboxJob) -> SendOutcome {
        let request = match job.channel {
            Channel::Messenger => {
                if self.apis.meta_page_token.is_empty() {
                    return SendOutcome::Failed(
                        "Messenger sending is not configured (no Page token)".to_owned(),
                    );
                }
                let mut body = serde_json::json!({
                    "recipient": {"id": job.recipient},
                    "messaging_type": job.messaging_type.as_deref().unwrap_or("RESPONSE"),
                    "message": {"text": job.text},
                });
                if let Some(tag) = &job.tag {
                    body["tag"] = serde_json::Value::String(tag.clone());
                }
                self.http
                    .post(format!(
                        "{}/{}/me/messages",
                        self.apis.meta_api_url, self.apis.meta_api_version
                    ))
                    .bearer_auth(&self.apis.meta_page_token)
                    .json(&body)
            }
            Channel::TwitterDm => {
                if self.apis.x_access_token.is_empty() {
                    return SendOutcome::Failed(
                        "X sending is not configured (no access token)".to_owned(),
                    );
                }
                let participant: String = job
                    .recipient
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                self.http
                    .post(format!(
                        "{}/2/dm_conversations/with/{participant}/messages",
                        self.apis.x_api_url
                    ))
                    .bearer_auth(&self.apis.x_access_token)
                    .json(&serde_json::json!({"text": job.text}))
            }
            Channel::FacebookPost | Channel::Tweet => match self.public_reply(job) {
                Ok(request) => request,
                Err(outcome) => return outcome,
            },
            other @ Channel::WebChat => {
                return SendOutcome::Failed(format!(
                    "{} is not sent through a platform",
                    other.as_str()
                ))
            }
        };
        match request.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                classify(job, status, retry_after, &body)
            }
            Err(e) => {
                let what = if e.is_timeout() {
                    "the platform did not answer in time"
                } else {
                    "the platform could not be reached"
                };
                tracing::warn!(message = job.message_id.0, error = %e, "outbox: {what}");
                later(job, what.to_owned(), None)
            }
        }
    }
}

impl Sender {
    /// A public reply's call: Meta's `POST /<version>/<comment-id>/comments` with `message`
    /// (the Page token), or X's `POST /2/tweets` with `reply.in_reply_to_tweet_id`.
    fn public_reply(&self, job: &OutboxJob) -> Result<reqwest::RequestBuilder, SendOutcome> {
        // The answered item's id, as the platforms write them (digits, `_` on Facebook):
        // nothing else reaches the path.
        let target: String = job
            .recipient
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if job.channel == Channel::Tweet {
            if self.apis.x_access_token.is_empty() {
                return Err(SendOutcome::Failed(
                    "X sending is not configured (no access token)".to_owned(),
                ));
            }
            return Ok(self
                .http
                .post(format!("{}/2/tweets", self.apis.x_api_url))
                .bearer_auth(&self.apis.x_access_token)
                .json(&serde_json::json!({
                    "text": job.text,
                    "reply": {"in_reply_to_tweet_id": target},
                })));
        }
        if self.apis.meta_page_token.is_empty() {
            return Err(SendOutcome::Failed(
                "Facebook sending is not configured (no Page token)".to_owned(),
            ));
        }
        Ok(self
            .http
            .post(format!(
                "{}/{}/{target}/comments",
                self.apis.meta_api_url, self.apis.meta_api_version
            ))
            .bearer_auth(&self.apis.meta_page_token)
            .json(&serde_json::json!({"message": job.text})))
    }
}

/// A transient failure: another attempt later, or failed after [`MAX_ATTEMPTS`].
fn later(job: &OutboxJob, error: String, retry_after: Option<u64>) -> SendOutcome {
    if job.attempts >= MAX_ATTEMPTS {
        return SendOutcome::Failed(format!("gave up after {} attempts: {error}", job.attempts));
    }
    let wait = retry_after.map_or_else(
        || backoff(job.attempts),
        |s| Duration::from_secs(s).min(MAX_BACKOFF),
    );
    SendOutcome::Later {
        at: now_ms() + crate::util::ms(wait),
        error,
    }
}

/// What an answer means: 2xx sent (with the platform's id), 429 and 5xx again later, any
/// other status failed with the platform's own reason.
pub fn classify(
    job: &OutboxJob,
    status: u16,
    retry_after: Option<u64>,
    body: &serde_json::Value,
) -> SendOutcome {
    let reason = body["error"]["message"]
        .as_str()
        .or_else(|| body["detail"].as_str())
        .or_else(|| body["title"].as_str())
        .map_or_else(
            || format!("the platform answered {status}"),
            |r| r.chars().take(500).collect(),
        );
    match status {
        200..=299 => {
            let id = match job.channel {
                Channel::TwitterDm => body["data"]["dm_event_id"].as_str(),
                Channel::Tweet => body["data"]["id"].as_str(),
                Channel::FacebookPost => body["id"].as_str(),
                _ => body["message_id"].as_str(),
            };
            SendOutcome::Sent(id.map(str::to_owned))
        }
        429 => later(
            job,
            format!("rate limited: {reason}"),
            retry_after.or(Some(0)),
        ),
        500..=599 => later(job, reason, None),
        _ => SendOutcome::Failed(reason),
    }
}

/// The worker: runs until aborted with the server's other tasks; `wake` cuts a wait short
/// when a message is put in the outbox.
pub async fn run(store: Store, apis: OutboundApis, wake: Arc<Notify>) {
    let sender = Sender::new(apis);
    let mut last_recover: Option<tokio::time::Instant> = None;
    loop {
        if last_recover.is_none_or(|t| t.elapsed() >= RECOVER_EVERY) {
            match store.outbox_recover().await {
                Ok(0) => {}
                Ok(n) => tracing::info!("outbox: {n} message(s) from a stopped worker wait again"),
                Err(e) => tracing::warn!(error = %e, "outbox: recovering leases failed"),
            }
            last_recover = Some(tokio::time::Instant::now());
        }
        // A read first: an idle server takes no write transaction per poll.
        let wait = match store.outbox_next_due().await {
            Ok(Some(at)) if at <= now_ms() => Duration::ZERO,
            Ok(Some(at)) => {
                Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)).min(POLL)
            }
            Ok(None) => POLL,
            Err(e) => {
                tracing::warn!(error = %e, "outbox: reading the next due row failed");
                POLL
            }
        };
        if !wait.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = wake.notified() => {}
            }
            continue;
        }
        let pause = match store.outbox_claim(crate::util::ms(LEASE)).await {
            Ok(Some(job)) => {
                let outcome = sender.send(&job).await;
                if let Err(e) = store.outbox_record(job.message_id, &outcome).await {
                    tracing::error!(message = job.message_id.0, error = %e, "outbox: recording an outcome failed");
                }
                continue;
            }
            // Another worker took it first.
            Ok(None) => POLL.min(Duration::from_millis(20)),
            Err(e) => {
                tracing::warn!(error = %e, "outbox: claiming failed");
                POLL
            }
        };
        tokio::time::sleep(pause).await;
    }
}
