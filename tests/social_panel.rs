//! The demo page's "Social channels (demo)" panel, in Chromium, against the stand-in platform
//! on a loopback port: a customer sends a Messenger message from the panel, the stand-in posts
//! it to Threadline as Meta's signed webhook, and the agent on the desktop gets the offer
//! naming Facebook Messenger; the agent's answer goes to the stand-in, whose delivery and read
//! receipts come back as signed webhooks and mark it Read in the transcript
//! (`the_social_panel_sends_a_messenger_message_that_is_offered`). An X Direct Message from the
//! panel is offered naming Twitter Direct Message, answered (the stand-in gets the DM, its read
//! event marks it Read), and the same customer's mention on X lands in their Public view, is not
//! offered, and is answered publicly with a reply Tweet
//! (`an_x_direct_message_and_a_mention_are_answered`). A customer known from the website writes
//! on Messenger: the agent links the Messenger contact to them from Contact Information, sees
//! one conversation in time order and answers on Messenger, then unlinks the Messenger id again
//! (`a_messenger_contact_is_linked_and_unlinked_from_contact_information`).

mod harness;

use harness::{
    login, run_with, wait_until, ApiUser, Browser, Harness, Options, Result, DEMO_AGENTS,
};
use serde_json::json;
use threadline_api::config::{MetaWebhook, OutboundApis, XWebhook};
use threadline_platform_standin::{CustomerChannel, CustomerMessage, Standin, Tokens, Webhooks};
use tokio::net::TcpListener;

const APP_SECRET: &str = "meta-app-secret-for-the-social-panel-test";
const CONSUMER_SECRET: &str = "x-consumer-secret-for-the-social-panel-test";
const PAGE: &str = "1000000000000001";
const OUR_X_ID: &str = "1000000000000002";
const PAGE_TOKEN: &str = "page-token-for-the-social-panel-test";
const X_TOKEN: &str = "x-token-for-the-social-panel-test";

/// The stand-in's port first: the server's demo page names it; it starts serving once the
/// server's address (its webhooks, the demo page's origin) is known ([`serve_standin`]).
async fn options() -> (TcpListener, Options) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the stand-in platform");
    let platform = format!("http://{}", listener.local_addr().expect("its address"));
    let options = Options {
        configure: Box::new(move |c| {
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
                meta_api_url: platform.clone(),
                meta_page_token: PAGE_TOKEN.to_owned(),
                x_api_url: platform.clone(),
                x_access_token: X_TOKEN.to_owned(),
                ..OutboundApis::default()
            };
            c.demo_standin_url = Some(platform);
        }),
        ..Options::default()
    };
    (listener, options)
}

/// The stand-in on `listener`, posting signed webhooks to the test's server and sending
/// receipts shortly after each send it accepts.
fn serve_standin(h: &Harness, listener: TcpListener) -> Standin {
    let standin = Standin::new(Tokens {
        meta_page_token: PAGE_TOKEN.to_owned(),
        x_access_token: X_TOKEN.to_owned(),
    })
    .with_cors_origin(h.base_url());
    standin.send_webhooks_to(Webhooks {
        threadline_url: h.base_url().to_owned(),
        meta_app_secret: APP_SECRET.to_owned(),
        x_consumer_secret: CONSUMER_SECRET.to_owned(),
        page_id: PAGE.to_owned(),
        x_user_id: OUR_X_ID.to_owned(),
        x_screen_name: "northwind".to_owned(),
        receipts_after: Some(std::time::Duration::from_millis(300)),
    });
    let served = standin.clone();
    tokio::spawn(async move {
        threadline_platform_standin::serve(listener, served, std::future::pending()).await
    });
    standin
}

/// Sends `text` from the demo page's panel as `name` on `channel` (the option's words).
async fn panel_sends(customer: &Browser, name: &str, channel: &str, text: &str) -> Result {
    customer.fill("Customer name", name).await?;
    customer.select("Channel", channel).await?;
    customer.fill("Customer message", text).await?;
    customer.click("button", "Send").await?;
    customer
        .wait_role_text("status", &format!("sent as {name}"))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_social_panel_sends_a_messenger_message_that_is_offered() {
    let (listener, options) = options().await;
    run_with(
        "the_social_panel_sends_a_messenger_message_that_is_offered",
        options,
        |h: Harness| async move {
            let standin = serve_standin(&h, listener);

            let agent = h.browser("agent").await?;
            let (user, password) = DEMO_AGENTS[0];
            login(&agent, user, password).await?;
            agent.select("Chat channel status", "Ready").await?;

            let customer = h.browser("customer").await?;
            customer.goto("/demo").await?;
            customer.role("region", "Social channels (demo)").await?;
            let text = "Do the Ridge boots come in half sizes?";
            panel_sends(&customer, "Dana Park", "Messenger message", text).await?;
            customer
                .wait_role_text("status", "Messenger message sent as Dana Park")
                .await?;

            // The offer names the channel and shows the message.
            let offer = agent
                .role_containing("alertdialog", "Chat offer: Messenger user")
                .await?;
            let offer_text = offer.text().await?;
            assert!(
                offer_text.contains("Facebook Messenger") && offer_text.contains(text),
                "the offer does not name Messenger or show the message: {offer_text}"
            );
            // What reached Threadline was Meta's signed webhook, taken.
            let sent = standin.sent_webhooks();
            assert_eq!(sent.len(), 1, "{sent:?}");
            assert_eq!(sent[0].status, 200);
            assert!(sent[0].url.ends_with("/api/webhooks/meta"));
            assert_eq!(
                sent[0].body["entry"][0]["messaging"][0]["message"]["text"],
                text
            );

            // The answer goes out through the stand-in and comes back read.
            agent.click("button", "Accept").await?;
            agent
                .role_containing("region", "Chat Interaction: Messenger user")
                .await?;
            agent.wait_text("log", "Transcript", text).await?;
            let answer = "Yes, from 38 to 46 in half sizes.";
            agent.fill("Message", answer).await?;
            agent.click("button", "Send").await?;
            agent.wait_text("log", "Transcript", "Read").await?;
            let requests = standin.requests();
            assert_eq!(requests.len(), 1, "{requests:?}");
            assert_eq!(requests[0].body["message"]["text"], answer);
            assert!(standin.sent_webhooks().iter().any(|w| w
                .body
                .to_string()
                .contains("\"read\"")
                && w.status == 200));
            customer.assert_no_console_errors().await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_x_direct_message_and_a_mention_are_answered() {
    let (listener, options) = options().await;
    run_with(
        "an_x_direct_message_and_a_mention_are_answered",
        options,
        |h: Harness| async move {
            let standin = serve_standin(&h, listener);
            let agent = h.browser("agent").await?;
            let (user, password) = DEMO_AGENTS[0];
            login(&agent, user, password).await?;
            agent.select("Chat channel status", "Ready").await?;
            let customer = h.browser("customer").await?;
            customer.goto("/demo").await?;

            let question = "Is the Ridge jacket warm enough for Tromsø in March?";
            panel_sends(&customer, "Ravi Shah", "X Direct Message", question).await?;
            let offer = agent
                .role_containing("alertdialog", "Chat offer: Ravi Shah")
                .await?;
            let offer_text = offer.text().await?;
            assert!(
                offer_text.contains("Twitter Direct Message") && offer_text.contains(question),
                "the offer does not name X or show the message: {offer_text}"
            );
            agent.click("button", "Accept").await?;
            agent.wait_text("log", "Transcript", question).await?;
            agent
                .wait_text(
                    "region",
                    "Chat Interaction: Ravi Shah",
                    "Replies go to Ravi Shah as a Twitter Direct Message",
                )
                .await?;
            let answer = "With a fleece under it, yes: it is rated to minus fifteen.";
            agent.fill("Message", answer).await?;
            agent.click("button", "Send").await?;
            // X has no delivery receipts: the read event marks it Read.
            agent.wait_text("log", "Transcript", "Read").await?;
            let dm = standin
                .requests()
                .into_iter()
                .find(|r| r.path.starts_with("/2/dm_conversations/with/"))
                .ok_or("the stand-in got no Direct Message")?;
            assert_eq!(dm.body["text"], answer);

            // The same customer mentions the account in public: not offered, in the Public view.
            let mention = "@northwind the Ridge jacket is great, thanks for the tip!";
            panel_sends(&customer, "Ravi Shah", "Mention on X", mention).await?;
            agent.click_containing("tab", "Communication").await?;
            agent.click("button", "Public").await?;
            agent.fill("Search contacts", "Ravi").await?;
            agent.click_containing("button", "Ravi Shah").await?;
            agent.wait_text("log", "Conversation", mention).await?;
            let thanks = "Glad it works for you, Ravi!";
            agent
                .fill("Reply publicly to Ravi Shah's Tweet", thanks)
                .await?;
            agent.click("button", "Send").await?;
            agent.wait_text("log", "Conversation", "Sent").await?;
            let tweet = standin
                .requests()
                .into_iter()
                .find(|r| r.path == "/2/tweets")
                .ok_or("the stand-in got no reply Tweet")?;
            assert_eq!(tweet.body["text"], thanks);
            let mentioned = standin
                .sent_webhooks()
                .into_iter()
                .find(|w| w.body.get("tweet_create_events").is_some())
                .ok_or("no mention webhook was sent")?;
            assert_eq!(
                tweet.body["reply"]["in_reply_to_tweet_id"],
                mentioned.body["tweet_create_events"][0]["id_str"]
            );
            assert!(
                !agent
                    .is_present("alertdialog", "Chat offer: Ravi Shah")
                    .await?,
                "the mention was offered as a chat"
            );
            customer.assert_no_console_errors().await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

/// Kim chats on the website with a colleague (answered, Done) before the agent's shift.
async fn website_chat_done(h: &Harness) -> Result {
    let (login_name, password) = DEMO_AGENTS[1];
    let colleague = ApiUser::agent(h, login_name, password).await?;
    colleague
        .put("/api/me/status", json!({"status": {"state": "ready"}}))
        .await?;
    let kim = ApiUser::visitor(h, None, "Kim Lee").await?;
    kim.visitor_says("Hello from the website").await?;
    let offer = wait_until(
        "the colleague's offer",
        harness::default_timeout(),
        || async {
            let work = colleague.get("/api/interactions").await?;
            Ok(work["offers"][0]["interaction"]["id"].as_i64())
        },
    )
    .await?;
    colleague
        .post(&format!("/api/interactions/{offer}/accept"), json!({}))
        .await?;
    let contact = colleague.contact_id("Kim Lee").await?;
    colleague
        .write_to_contact(contact, "Hi Kim, how can I help?", "interaction_view")
        .await?;
    colleague
        .post(&format!("/api/interactions/{offer}/end"), json!({}))
        .await?;
    colleague
        .post(
            &format!("/api/interactions/{offer}/done"),
            json!({"disposition": "resolved"}),
        )
        .await?;
    colleague
        .put(
            "/api/me/status",
            json!({"status": {"state": "not_ready", "reason": "break"}}),
        )
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messenger_contact_is_linked_and_unlinked_from_contact_information() {
    let (listener, options) = options().await;
    run_with(
        "a_messenger_contact_is_linked_and_unlinked_from_contact_information",
        options,
        |h: Harness| async move {
            let standin = serve_standin(&h, listener);
            website_chat_done(&h).await?;
            let agent = h.browser("agent").await?;
            let (user, password) = DEMO_AGENTS[0];
            login(&agent, user, password).await?;
            agent.select("Chat channel status", "Ready").await?;

            let sent = standin
                .customer_sends(
                    CustomerChannel::Messenger,
                    &CustomerMessage {
                        name: "Kim Lee".to_owned(),
                        text: "Hi, it's Kim on Messenger".to_owned(),
                    },
                )
                .await?;
            let psid = sent.customer_id;
            let stranger = format!("Messenger user {}", &psid[psid.len() - 4..]);
            agent.click("button", "Accept").await?;
            agent
                .role("region", &format!("Chat Interaction: {stranger}"))
                .await?;
            agent.click("tab", "Contact Information").await?;
            let messenger_id = format!("Facebook Messenger {psid}");
            agent
                .wait_text("tabpanel", "Contact Information", &messenger_id)
                .await?;
            // Its only identity: nothing to unlink.
            assert!(
                !agent
                    .is_present("button", &format!("Unlink {messenger_id}"))
                    .await?
            );

            agent.fill("Find the contact to link to", "Kim Lee").await?;
            agent.click("button", "Find").await?;
            agent.click("button", "Link to Kim Lee").await?;
            agent
                .wait_text(
                    "group",
                    "Link to Kim Lee",
                    &format!("Link {stranger} to Kim Lee?"),
                )
                .await?;
            agent.click("button", "Link").await?;

            // One contact, one conversation in time order, the chat still open.
            agent.role("region", "Chat Interaction: Kim Lee").await?;
            agent.click("tab", "Conversation").await?;
            let conversation = agent
                .wait_text("log", "Conversation", "Hello from the website")
                .await?;
            let web = conversation.find("Hello from the website");
            let messenger = conversation.find("Hi, it's Kim on Messenger");
            assert!(
                messenger.is_some() && web < messenger,
                "the conversation after the link: {conversation}"
            );
            agent.click("tab", "Contact Information").await?;
            agent
                .wait_text("tabpanel", "Contact Information", &messenger_id)
                .await?;
            agent
                .role("button", &format!("Unlink {messenger_id}"))
                .await?;

            let answer = "Your parcel left the warehouse today.";
            agent.fill("Message", answer).await?;
            agent.click("button", "Send").await?;
            wait_until(
                "the answer at the stand-in",
                harness::default_timeout(),
                || async {
                    Ok(standin
                        .requests()
                        .iter()
                        .any(|r| {
                            r.body["message"]["text"] == answer
                                && r.body["recipient"]["id"] == psid.as_str()
                        })
                        .then_some(()))
                },
            )
            .await?;

            // Unlinked: the Messenger id is a contact of its own again.
            agent
                .click("button", &format!("Unlink {messenger_id}"))
                .await?;
            agent
                .wait_text(
                    "group",
                    &format!("Unlink {messenger_id}"),
                    &format!("Unlink {messenger_id} from Kim Lee?"),
                )
                .await?;
            agent.click("button", "Unlink").await?;
            agent
                .role("region", &format!("Chat Interaction: {stranger}"))
                .await?;
            agent.click("tab", "Conversation").await?;
            let conversation = agent.wait_text("log", "Conversation", answer).await?;
            assert!(
                conversation.contains("Hi, it's Kim on Messenger")
                    && !conversation.contains("Hello from the website"),
                "the website's messages stayed with Kim: {conversation}"
            );
            agent.assert_no_console_errors().await
        },
    )
    .await;
}
