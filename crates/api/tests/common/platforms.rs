//! The platforms' side of the API tests: the test Meta app's and X app's secrets and ids, the
//! stand-in platform on a loopback port, and a server configuration with both webhooks and the
//! outbox pointed at it.

use super::Events;
use threadline_api::config::{Config, MetaWebhook, OutboundApis, XWebhook};
use threadline_platform_standin::{Recorded, Standin, Tokens};
use wire::{MessageId, MessageView, OutboundState};

/// The Meta app's secret that webhook bodies are signed with.
pub const APP_SECRET: &str = "meta-app-secret-for-the-tests";
/// Our Facebook Page's id.
pub const PAGE: &str = "5566778899";
/// The X app's consumer secret.
pub const CONSUMER_SECRET: &str = "x-consumer-secret-for-the-tests";
/// Our X account's user id.
pub const OUR_X_ID: &str = "4400000009";
/// The Page token the outbox sends with and the stand-in takes.
pub const PAGE_TOKEN: &str = "page-token-for-the-tests";
/// The X user token, likewise.
pub const X_TOKEN: &str = "x-user-token-for-the-tests";

/// The tokens the stand-in takes.
pub fn tokens() -> Tokens {
    Tokens {
        meta_page_token: PAGE_TOKEN.to_owned(),
        x_access_token: X_TOKEN.to_owned(),
    }
}

/// `standin` on a loopback port, and its base URL.
pub async fn serve(standin: Standin) -> (Standin, String) {
    let base = threadline_platform_standin::spawn(standin.clone())
        .await
        .expect("serve the stand-in platform on loopback");
    (standin, base)
}

/// A fresh stand-in taking [`tokens`], on a loopback port, and its base URL.
pub async fn standin() -> (Standin, String) {
    serve(Standin::new(tokens())).await
}

/// Both webhooks configured with the secrets above, and the outbox pointed at `platform`.
pub fn configure(c: &mut Config, platform: &str) {
    c.meta = MetaWebhook {
        app_secret: APP_SECRET.to_owned(),
        verify_token: "verify".to_owned(),
        page_id: Some(PAGE.to_owned()),
    };
    c.x = XWebhook {
        consumer_secret: CONSUMER_SECRET.to_owned(),
        user_id: Some(OUR_X_ID.to_owned()),
    };
    c.outbound = OutboundApis {
        meta_api_url: platform.to_owned(),
        meta_api_version: "v21.0".to_owned(),
        meta_page_token: PAGE_TOKEN.to_owned(),
        x_api_url: platform.to_owned(),
        x_access_token: X_TOKEN.to_owned(),
    };
}

/// Waits for the message's `message` event with the outbound state `state`.
pub async fn until_outbound(
    events: &mut Events,
    id: MessageId,
    state: OutboundState,
) -> MessageView {
    events
        .message(&format!("message {id} {state:?}"), |m| {
            m.id == id && m.outbound.as_ref().is_some_and(|o| o.state == state)
        })
        .await
}

/// The calls the stand-in got to its send routes (its own `GET`s left out).
pub fn sends(standin: &Standin) -> Vec<Recorded> {
    standin
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect()
}
