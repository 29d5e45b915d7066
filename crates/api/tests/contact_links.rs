//! Linking contacts (the same person on two channels) and unlinking an identity, over real
//! HTTP on SQLite and PostgreSQL, with the stand-in platform on a loopback port sending the
//! customer's signed Messenger webhook and taking the agent's sends.
//!
//! - `a_messenger_contact_is_linked_and_unlinked`: Kim chats on the website (answered, Done),
//!   then writes on Messenger (a second contact; Ann's chat open). Ann links the Messenger
//!   contact to the website one: one contact with both identities, one conversation numbered
//!   1.. in time order, the open chat and the search under it, the Messenger contact gone,
//!   every agent told (`contact_linked`), the web visitor told to reload (`resync`) and still
//!   seeing only the website's messages; Ann's next message goes to Kim's Messenger id. Unlinking
//!   the Messenger id gives back a contact with the Messenger conversation (`contact_unlinked`);
//!   erasing that contact at her request empties what the link's and the unlink's audit
//!   entries held of it, and leaves the website's Kim as she was.
//! - `refusals_change_nothing`: a contact into itself, into an unknown one, two identities of
//!   one kind, two chats in progress, the only identity, an identity of someone else, a caller
//!   without an agent's session: each refused with its status and words, nothing moved.

mod common;

use common::platforms::{self, configure, APP_SECRET, CONSUMER_SECRET, OUR_X_ID, PAGE};
use common::{Backend, Caller, Events, Server};
use serde_json::{json, Value};
use std::time::Duration;
use threadline_platform_standin::{CustomerChannel, CustomerMessage, Standin, Webhooks};
use wire::api::{ConversationPage, MyWork, SearchResults, SendResponse, UnlinkResult};
use wire::{Channel, ContactId, ContactView, Event, Identity, InteractionView};

on_both!(
    a_messenger_contact_is_linked_and_unlinked,
    refusals_change_nothing,
);

/// A server with the Meta webhook configured, its outbox pointed at the stand-in, and the
/// stand-in's webhooks pointed back at it.
async fn server(b: Backend) -> (Server, Standin) {
    let (standin, platform) = platforms::standin().await;
    let s = Server::start(b, move |c| configure(c, &platform)).await;
    standin.send_webhooks_to(Webhooks {
        threadline_url: s.base.clone(),
        meta_app_secret: APP_SECRET.to_owned(),
        x_consumer_secret: CONSUMER_SECRET.to_owned(),
        page_id: PAGE.to_owned(),
        x_user_id: OUR_X_ID.to_owned(),
        x_screen_name: "northwind".to_owned(),
        receipts_after: None,
    });
    (s, standin)
}

/// The chat `what` offered to `agent`, accepted.
async fn accept_next(agent: &common::Agent, events: &mut Events, what: &str) -> InteractionView {
    agent.take_offer(events, what).await
}

/// `agent` writes `text` to `contact`.
async fn write(agent: &common::Agent, contact: ContactId, text: &str) -> SendResponse {
    agent
        .post(
            &format!("/api/contacts/{contact}/messages"),
            json!({"client_id": common::client_id(), "text": text}),
        )
        .await
}

/// The customer `name` writes `text` on Messenger; their page-scoped id.
async fn on_messenger(standin: &Standin, name: &str, text: &str) -> String {
    let sent = standin
        .customer_sends(
            CustomerChannel::Messenger,
            &CustomerMessage {
                name: name.to_owned(),
                text: text.to_owned(),
            },
        )
        .await
        .expect("Threadline took the Messenger message");
    assert_eq!(sent.status, 200);
    sent.customer_id
}

/// The newest page of `contact`'s whole conversation.
async fn conversation(agent: &common::Agent, contact: ContactId) -> ConversationPage {
    agent
        .get(&format!("/api/contacts/{contact}/conversation?limit=100"))
        .await
}

/// The texts of a page, in order, and whether its seqs are exactly 1..=n.
fn texts(page: &ConversationPage) -> (Vec<String>, bool) {
    let numbered = page
        .messages
        .iter()
        .enumerate()
        .all(|(i, m)| m.seq == i64::try_from(i).unwrap_or(-1) + 1);
    let texts = page
        .messages
        .iter()
        .filter(|m| m.system.is_none())
        .map(|m| m.text.clone())
        .collect();
    (texts, numbered)
}

async fn a_messenger_contact_is_linked_and_unlinked(b: Backend) {
    let (s, standin) = server(b).await;
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;

    // Kim on the website: answered, then Done.
    let kim_web = s.visitor("Kim Lee").await;
    let mut visitor_events = kim_web.events().await;
    kim_web.say("Hello from the website").await;
    let web_chat = accept_next(&ann, &mut events, "Kim's web chat").await;
    write(&ann, kim_web.contact, "Hi Kim, how can I help?").await;
    ann.finish(web_chat.id).await;

    // Then on Messenger: a contact of its own, Ann's chat open.
    let psid = on_messenger(&standin, "Kim Lee", "Hi, it's Kim on Messenger").await;
    let messenger_chat = accept_next(&ann, &mut events, "Kim's Messenger chat").await;
    let kim_fb = messenger_chat.contact_id;
    assert_ne!(kim_fb, kim_web.contact);
    assert_eq!(messenger_chat.channel, Channel::Messenger);

    // Ann links the Messenger contact to the website one.
    let linked: ContactView = ann
        .post(
            &format!("/api/contacts/{kim_fb}/link"),
            json!({"into": kim_web.contact}),
        )
        .await;
    assert_eq!(linked.id, kim_web.contact);
    assert!(linked
        .identities
        .contains(&Identity::MessengerPsid(psid.clone())));
    assert_eq!(linked.identities.len(), 2, "{linked:?}");
    let told = events
        .until("contact_linked", |e| {
            matches!(e, Event::ContactLinked { .. })
        })
        .await;
    let Event::ContactLinked {
        contact_id,
        contact,
    } = told.event
    else {
        unreachable!("matched contact_linked")
    };
    assert_eq!((contact_id, contact.id), (kim_fb, kim_web.contact));
    visitor_events
        .until("the visitor's resync", |e| matches!(e, Event::Resync))
        .await;

    // One conversation, numbered 1.. in the order things happened, every message Kim's.
    let page = conversation(&ann, kim_web.contact).await;
    let (said, numbered) = texts(&page);
    assert!(numbered, "seqs after the link: {:?}", page.messages);
    assert_eq!(
        said,
        [
            "Hello from the website",
            "Hi Kim, how can I help?",
            "Hi, it's Kim on Messenger"
        ]
    );
    assert!(page
        .messages
        .iter()
        .all(|m| m.contact_id == kim_web.contact));
    let (gone, _) = ann
        .call(
            reqwest::Method::GET,
            &format!("/api/contacts/{kim_fb}"),
            None,
        )
        .await;
    assert_eq!(gone, 404);
    let work: MyWork = ann.get("/api/interactions").await;
    let open = work
        .interactions
        .iter()
        .find(|i| i.id == messenger_chat.id)
        .expect("the Messenger chat is still Ann's");
    assert_eq!(open.contact_id, kim_web.contact);
    let found: SearchResults = ann.get("/api/search?q=Messenger").await;
    assert!(
        found
            .hits
            .iter()
            .any(|h| h.message.contact_id == kim_web.contact),
        "search after the link: {found:?}"
    );

    // The website's visitor still sees the website's conversation only, under Kim.
    let theirs: Value = kim_web.get("/api/visitor/conversation").await;
    assert_eq!(theirs["contact_id"], json!(kim_web.contact.0));
    let visible: Vec<&str> = theirs["messages"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|m| m["text"].as_str())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        visible,
        ["Hello from the website", "Hi Kim, how can I help?"]
    );

    // Ann's answer goes to Kim's Messenger id.
    let reply = write(&ann, kim_web.contact, "Your parcel left today").await;
    assert_eq!(reply.message.contact_id, kim_web.contact);
    platforms::until_outbound(&mut events, reply.message.id, wire::OutboundState::Sent).await;
    assert!(
        platforms::sends(&standin).iter().any(|r| {
            let body = r.body.to_string();
            body.contains(&psid) && body.contains("Your parcel left today")
        }),
        "the stand-in got: {:?}",
        platforms::sends(&standin)
    );

    // Unlinked again: the Messenger id is a contact of its own, with its conversation.
    let split: UnlinkResult = ann
        .post(
            &format!("/api/contacts/{}/unlink", kim_web.contact),
            json!({"identity": {"kind": "messenger_psid", "value": psid}}),
        )
        .await;
    assert_eq!(split.contact.id, kim_web.contact);
    assert_eq!(
        split.new_contact.identities,
        [Identity::MessengerPsid(psid.clone())]
    );
    // The name the Messenger contact had before the link, not Kim's.
    assert_eq!(
        split.new_contact.display_name(),
        format!("Messenger user {}", &psid[psid.len() - 4..])
    );
    let told = events
        .until("contact_unlinked", |e| {
            matches!(e, Event::ContactUnlinked { .. })
        })
        .await;
    assert!(matches!(told.event,
        Event::ContactUnlinked { contact, new_contact }
            if contact.id == kim_web.contact && new_contact.id == split.new_contact.id));
    let (web, numbered) = texts(&conversation(&ann, kim_web.contact).await);
    assert!(numbered);
    assert_eq!(web, ["Hello from the website", "Hi Kim, how can I help?"]);
    let (fb, numbered) = texts(&conversation(&ann, split.new_contact.id).await);
    assert!(numbered);
    assert_eq!(fb, ["Hi, it's Kim on Messenger", "Your parcel left today"]);
    let work: MyWork = ann.get("/api/interactions").await;
    assert!(work
        .interactions
        .iter()
        .any(|i| i.id == messenger_chat.id && i.contact_id == split.new_contact.id));

    // The Messenger half is erased at her request: the link and the unlink stay in Kim's
    // audit log without the details they held of it; the website's Kim is untouched.
    ann.finish(messenger_chat.id).await;
    let ada = s.agent("ada").await;
    let audit = || async {
        let page: wire::accounts::AuditPage = ada
            .get(&format!(
                "/api/admin/audit?target_kind=contact&target_id={}",
                kim_web.contact
            ))
            .await;
        page.entries
    };
    let holds_psid =
        |e: &wire::accounts::AuditRecord| format!("{:?} {:?}", e.before, e.after).contains(&psid);
    assert!(audit().await.iter().any(holds_psid), "the log held it");
    let (status, body) = ada
        .call(
            reqwest::Method::DELETE,
            &format!("/api/admin/contacts/{}", split.new_contact.id),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let entries = audit().await;
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"contact.link") && actions.contains(&"contact.unlink"),
        "{actions:?}"
    );
    assert!(!entries.iter().any(holds_psid), "{entries:?}");
    let (web, _) = texts(&conversation(&ann, kim_web.contact).await);
    assert_eq!(web, ["Hello from the website", "Hi Kim, how can I help?"]);
}

async fn refusals_change_nothing(b: Backend) {
    let (s, standin) = server(b).await;
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    let web = s.visitor("Lena Ortiz").await;
    let other_web = s.visitor("Omar Haddad").await;
    web.say("Is the shop open on Sunday?").await;
    accept_next(&ann, &mut events, "Lena's chat").await;
    let psid = on_messenger(&standin, "Lena Ortiz", "Me again, on Messenger").await;
    let fb = accept_next(&ann, &mut events, "Lena's Messenger chat")
        .await
        .contact_id;
    let before = (
        conversation(&ann, web.contact).await,
        conversation(&ann, fb).await,
    );

    let refused = |status: u16, body: Value, want: u16, words: &str| {
        assert_eq!(status, want, "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{message:?} lacks {words:?}");
    };
    let link = |from: ContactId, into: i64| {
        let ann = &ann;
        async move {
            ann.call(
                reqwest::Method::POST,
                &format!("/api/contacts/{from}/link"),
                Some(json!({ "into": into })),
            )
            .await
        }
    };
    let (st, v) = link(fb, fb.0).await;
    refused(st, v, 409, "cannot be linked to itself");
    let (st, v) = link(fb, 999_999).await;
    refused(st, v, 404, "contact");
    let (st, v) = link(other_web.contact, web.contact.0).await;
    refused(st, v, 409, "already has a Web visitor identity");
    let (st, v) = link(fb, web.contact.0).await;
    refused(st, v, 409, "a chat in progress");
    let (st, v) = ann
        .call(
            reqwest::Method::POST,
            &format!("/api/contacts/{fb}/unlink"),
            Some(json!({"identity": {"kind": "messenger_psid", "value": psid}})),
        )
        .await;
    refused(st, v, 409, "only identity");
    let (st, v) = ann
        .call(
            reqwest::Method::POST,
            &format!("/api/contacts/{}/unlink", web.contact),
            Some(json!({"identity": {"kind": "messenger_psid", "value": psid}})),
        )
        .await;
    refused(st, v, 409, "is not one of");
    let (st, v) = ann
        .call(
            reqwest::Method::POST,
            &format!("/api/contacts/{fb}/link"),
            Some(json!({"into": "everyone"})),
        )
        .await;
    assert_eq!(st, 400, "{v}");
    // A visitor's token and no token at all are not an agent's session.
    let (st, _) = web
        .call(
            reqwest::Method::POST,
            &format!("/api/contacts/{fb}/link"),
            Some(json!({"into": web.contact.0})),
        )
        .await;
    assert_eq!(st, 401);
    let (st, _) = s
        .call(
            reqwest::Method::POST,
            &format!("/api/contacts/{fb}/link"),
            None,
            Some(json!({"into": web.contact.0})),
        )
        .await;
    assert_eq!(st, 401);

    let after = (
        conversation(&ann, web.contact).await,
        conversation(&ann, fb).await,
    );
    assert_eq!(before, after, "a refusal moved something");
    let quiet = events.drain_for(Duration::from_millis(300)).await;
    assert!(
        !quiet.iter().any(|e| matches!(
            e.event,
            Event::ContactLinked { .. } | Event::ContactUnlinked { .. }
        )),
        "{quiet:?}"
    );
}
