//! Per-channel settings over the API (administrators only): the defaults come from the server's
//! configuration, the ranges are checked, every change is audited with before and after, and
//! routing uses the values: a 5-second offer timeout on Web Chat times an offer out in about 5
//! seconds, a reservation window of 0 gives a responded chat to any Ready agent at once, and a
//! public channel whose items are not offered keeps them in the queue until it is turned on.

mod common;

use common::{client_id, Backend, Caller, Server};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use wire::accounts::AuditPage;
use wire::api::SendResponse;
use wire::channels::{ChannelSettings, ChannelSettingsList};
use wire::event::WithdrawReason;
use wire::{Channel, Event, InteractionView};

on_both!(
    defaults_validation_and_audit,
    a_short_offer_timeout_takes_effect,
    no_reservation_gives_the_chat_to_anyone,
    public_items_are_offered_only_when_the_channel_says_so
);

fn web_chat(list: &ChannelSettingsList) -> ChannelSettings {
    *list
        .channels
        .iter()
        .find(|c| c.channel == Channel::WebChat)
        .expect("Web Chat is listed")
}

async fn defaults_validation_and_audit(b: Backend) {
    let s = Server::start(b, |c| {
        c.offer_timeout = Duration::from_secs(45);
        c.reservation_timeout = Duration::from_mins(10);
    })
    .await;
    let ada = s.agent("ada").await;
    let sam = s.agent("sam").await;
    let list: ChannelSettingsList = ada.get("/api/admin/channels").await;
    assert_eq!(
        list.channels.iter().map(|c| c.channel).collect::<Vec<_>>(),
        Channel::ALL.to_vec(),
        "every channel, in the UI's order"
    );
    for c in &list.channels {
        assert_eq!(c.offer_timeout_secs, 45, "{c:?}");
        assert_eq!(c.reservation_secs, 600, "{c:?}");
        assert!(c.async_chat, "{c:?}");
        // Public posts and Tweets are not offered as chats until an administrator says so.
        assert_eq!(c.offer_public, !c.channel.is_public(), "{c:?}");
    }

    // Out of range, or not a channel: 400, and nothing changes.
    let good = json!({"channel": "web_chat", "async_chat": false, "offer_public": false,
        "offer_timeout_secs": 20, "reservation_secs": 3600});
    let mut bad = Vec::new();
    for (field, value) in [
        ("offer_timeout_secs", json!(4)),
        ("offer_timeout_secs", json!(601)),
        ("reservation_secs", json!(86_401)),
        ("reservation_secs", json!(-1)),
        ("channel", json!("carrier_pigeon")),
    ] {
        let mut body = good.clone();
        body[field] = value;
        bad.push(body);
    }
    for body in bad {
        let (st, answer) = ada
            .call(Method::PUT, "/api/admin/channels", Some(body.clone()))
            .await;
        assert!(st == 400 || st == 422, "{body}: {st} {answer}");
        assert!(answer["error"]["message"].is_string(), "{answer}");
    }
    let unchanged: ChannelSettingsList = ada.get("/api/admin/channels").await;
    assert_eq!(unchanged, list);

    // A supervisor may not change them.
    let (st, _) = sam
        .call(Method::PUT, "/api/admin/channels", Some(good.clone()))
        .await;
    assert_eq!(st, 403);

    // The change, the list after it, and its audit row.
    let (st, answer) = ada
        .call(Method::PUT, "/api/admin/channels", Some(good))
        .await;
    assert_eq!(st, 200, "{answer}");
    let after: ChannelSettingsList = serde_json::from_value(answer).expect("a list");
    let w = web_chat(&after);
    assert_eq!(
        (
            w.async_chat,
            w.offer_public,
            w.offer_timeout_secs,
            w.reservation_secs
        ),
        (false, false, 20, 3600)
    );
    let messenger = after
        .channels
        .iter()
        .find(|c| c.channel == Channel::Messenger)
        .expect("Messenger");
    assert_eq!(messenger.offer_timeout_secs, 45, "other channels unchanged");
    let read: ChannelSettingsList = ada.get("/api/admin/channels").await;
    assert_eq!(read, after);

    let page: AuditPage = ada.get("/api/admin/audit?action=channel.update").await;
    assert_eq!(page.entries.len(), 1, "{:?}", page.entries);
    let e = &page.entries[0];
    assert_eq!(e.actor, Some(ada.id));
    assert_eq!(
        (e.target_kind.as_str(), e.target_id.as_str()),
        ("channel", "web_chat")
    );
    let before = e.before.clone().expect("before");
    let after = e.after.clone().expect("after");
    assert_eq!(before["offer_timeout_secs"], 45);
    assert_eq!(before["async_chat"], true);
    assert_eq!(after["offer_timeout_secs"], 20);
    assert_eq!(after["reservation_secs"], 3600);
}

async fn a_short_offer_timeout_takes_effect(b: Backend) {
    // The server-wide timeout is long; Web Chat's own is 5 seconds.
    let s = Server::start(b, |c| c.offer_timeout = Duration::from_mins(2)).await;
    let ada = s.agent("ada").await;
    let (st, v) = ada
        .call(
            Method::PUT,
            "/api/admin/channels",
            Some(
                json!({"channel": "web_chat", "async_chat": true, "offer_public": true,
                "offer_timeout_secs": 5, "reservation_secs": 300}),
            ),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let v = s.visitor("Tess").await;
    v.say("Quick question").await;
    let offer = ann_ev.offer("offer to ann").await;
    let left = offer.expires_at - common::now_ms();
    assert!(
        (3_000..=5_500).contains(&left),
        "the offer expires in about 5 s, not 120 s: {left} ms"
    );
    let w = ann_ev
        .until("the offer timing out", |e| {
            matches!(e, Event::OfferWithdrawn { .. })
        })
        .await;
    assert!(
        matches!(
            w.event,
            Event::OfferWithdrawn {
                reason: WithdrawReason::TimedOut,
                ..
            }
        ),
        "{:?}",
        w.event
    );
}

async fn no_reservation_gives_the_chat_to_anyone(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let (st, v) = ada
        .call(
            Method::PUT,
            "/api/admin/channels",
            Some(
                json!({"channel": "web_chat", "async_chat": true, "offer_public": true,
                "offer_timeout_secs": 30, "reservation_secs": 0}),
            ),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let ann = s.agent("ann").await;
    let ben = s.agent("ben").await;
    let mut ann_ev = ann.events().await;
    let mut ben_ev = ben.events().await;
    ann.ready().await;
    let v = s.visitor("Rhea").await;
    v.say("hello").await;
    let offer = ann_ev.offer("offer to ann").await;
    let chat = ann.accept(offer.interaction.id).await;
    let contact = format!("/api/contacts/{}", v.contact);
    ann.post::<SendResponse>(
        &format!("{contact}/messages"),
        json!({"client_id": client_id(), "text": "Hi Rhea"}),
    )
    .await;
    ann.post::<InteractionView>(&format!("/api/interactions/{}/end", chat.id), json!({}))
        .await;
    ann.post::<InteractionView>(
        &format!("/api/interactions/{}/done", chat.id),
        json!({"disposition": "resolved"}),
    )
    .await;
    ann.not_ready().await;
    ben.ready().await;
    // Rhea answers. With the default window the chat would wait five minutes for Ann; with none
    // it goes to routing, and Ben (the only one Ready) is offered it.
    v.say("one more thing").await;
    let second = ben_ev.offer("offer to ben").await;
    assert_eq!(second.interaction.contact_id, v.contact);
}

async fn public_items_are_offered_only_when_the_channel_says_so(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let set_tweets = |offer_public: bool| {
        let ada = &ada;
        async move {
            let (st, v) = ada
                .call(
                    Method::PUT,
                    "/api/admin/channels",
                    Some(json!({"channel": "tweet", "async_chat": true,
                        "offer_public": offer_public, "offer_timeout_secs": 30,
                        "reservation_secs": 300})),
                )
                .await;
            assert_eq!(st, 200, "{v}");
        }
    };
    set_tweets(false).await;
    // A waiting chat (nobody is Ready), made a public Tweet in the database: no receiver for
    // Tweets exists yet, and routing only looks at the channel column.
    let v = s.visitor("Tweeter").await;
    v.say("@northwind where is my order?").await;
    let pool = s.db.pool().await;
    let changed = sqlx::query("UPDATE interactions SET channel = 'tweet' WHERE contact_id = $1")
        .bind(v.contact.0)
        .execute(&pool)
        .await
        .expect("update")
        .rows_affected();
    assert_eq!(changed, 1);
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let seen = ann_ev.drain_for(Duration::from_secs(2)).await;
    assert!(
        !seen.iter().any(|e| matches!(e.event, Event::Offer { .. })),
        "a Tweet was offered while Tweets are not: {:?}",
        seen.iter().map(|e| e.event.name()).collect::<Vec<_>>()
    );
    set_tweets(true).await;
    let offer = ann_ev.offer("the Tweet, once Tweets are offered").await;
    assert_eq!(offer.interaction.channel, Channel::Tweet);
    assert_eq!(offer.interaction.contact_id, v.contact);
}
