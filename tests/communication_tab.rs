//! The Connect group's Communication tab, in Chromium: asynchronous messages to a contact who
//! is away, their answer, and the tab's own controls.
//!
//! # Layout
//! - `write_a_message_reaches_the_contact_at_their_next_visit`: the agent writes to Maria Lopez
//!   (browser closed) with `Write a Message`; Maria later opens the widget in a new browser
//!   session with her signed identity and sees the earlier messages and the new one (both
//!   conversations open at their newest message and stay there when her photo arrives); she
//!   answers; the agent gets the `Contact responded` notification, `Show` opens the tab at her
//!   with the answer in view, and `Chat` opens a Chat Interaction view.
//! - `private_public_switch_shows_public_posts`: `Public` lists the contacts of public posts and
//!   Tweets and shows their posts; `Private` lists private conversations again; rows carry
//!   channel icons; Noah Williams's Tweet shows only under `Public` and his Direct Message only
//!   under `Private`, switching back and forth.
//! - `a_messenger_reply_goes_out_and_a_refusal_can_be_retried`: Ann writes to Lucas Martin
//!   (Messenger); the stand-in platform refuses the first call, the message says `Not sent` with
//!   the platform's reason and a `Retry` button; `Retry` sends it (`Sent`), and the stand-in
//!   got the reply for Lucas's page-scoped id, tagged as a human agent's (his last message is
//!   days old).
//! - `a_signed_comment_is_answered_publicly_in_its_thread`: a signed Page feed webhook brings
//!   Lena Park's post on the Page and her comment on it; under `Public` the comment is indented
//!   under the post, `Reply to Lena Park` picks it, the composer says "Reply publicly to Lena
//!   Park's comment", and the reply reaches the stand-in platform as a comment reply (`Sent`).
//! - `the_composer_says_what_the_platform_allows_before_anything_is_typed`: Tom Becker wrote
//!   on Messenger 12 days ago: his `Write a Message` field and `Chat` are closed with
//!   Messenger's 7-day rule said in their place; Lucas Martin (4 days) gets a note that the
//!   reply goes as a human agent's answer, with a count against Messenger's 2000 characters,
//!   and a 2001-character reply is refused in the composer; Noah Williams's reply goes as a
//!   Twitter Direct Message; every message names its channel.
//! - `a_message_whose_send_failed_is_kept_through_a_reload`: Ann writes to Maria Lopez with
//!   the network off (Chromium's network emulation): the message shows as failed with
//!   `Retry`, and stays in view when a notice (`Chat` failing) takes room from the
//!   transcript; the network comes back and the page is reloaded: a notice says a message had not
//!   reached the server, the message is back in Maria's conversation as failed, and `Retry`
//!   sends it; the server holds it once, and after another reload it shows once, with no notice.
//!   Then a record of a send the server did store (its answer lost) is put back at a reload and
//!   settled by Maria's newest page, with no `Retry`, and leaves the browser's storage. Last,
//!   a send the server refuses (Ben took Maria's chat) shows its reason and `Discard` only,
//!   and so again after a reload, with no notice that it had not reached the server.
//! - `contact_search_finds_a_word_from_an_old_message`: "waterproofing" finds Maria Lopez.
//! - `contacts_list_hides_and_shows`: the toggle hides and shows the Contacts list.
//! - `an_administrator_erases_a_contact_and_every_desktop_drops_them`: Ann reads Omar
//!   Haddad's conversation; Ada (an administrator) finds him in the console's `Contact data`,
//!   saves `Export contact data` (a JSON file with his details and conversation), then erases
//!   him after a confirmation that names him (checked with axe-core). Ann is told the contact
//!   she was viewing was erased, and he leaves her Contacts list.

mod harness;

use harness::{
    client_id, default_timeout, identity_for, login, occurrences, run, run_with, wait_until,
    ApiUser, Browser, Harness, Options, Result, DEMO_AGENTS,
};
use serde_json::json;
use threadline_api::config::{MetaWebhook, OutboundApis};
use threadline_platform_standin::{Failure, Standin, Tokens};

/// Logs ann in and opens the Communication tab.
async fn open_communication(agent: &Browser) -> Result {
    let (user, password) = DEMO_AGENTS[0];
    login(agent, user, password).await?;
    agent.click_containing("tab", "Communication").await?;
    agent.role("region", "Communication").await?;
    Ok(())
}

/// Finds a contact by first name in the Contacts list and shows their conversation, once it
/// shows `says`.
async fn show_contact(agent: &Browser, name: &str, says: &str) -> Result {
    let first = name.split(' ').next().unwrap_or(name);
    agent.fill("Search contacts", first).await?;
    agent.click_containing("button", name).await?;
    agent.wait_text("log", "Conversation", says).await?;
    Ok(())
}

/// The names shown in the Contacts list right now.
async fn contact_names(agent: &Browser) -> Result<Vec<String>> {
    let names = agent
        .client
        .execute(
            "return [...document.querySelectorAll('.contact-item .contact-name')].map(e => e.textContent);",
            vec![],
        )
        .await?;
    Ok(names
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Waits until the Contacts list shows `present` and none of `absent`.
async fn wait_contacts(agent: &Browser, present: &[&str], absent: &[&str]) -> Result<Vec<String>> {
    let what = format!("the Contacts list to show {present:?} and not {absent:?}");
    wait_until(&what, default_timeout(), || async {
        let names = contact_names(agent).await?;
        let ok = present.iter().all(|p| names.iter().any(|n| n == p))
            && !absent.iter().any(|a| names.iter().any(|n| n == a));
        Ok(ok.then_some(names))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_a_message_reaches_the_contact_at_their_next_visit() {
    run(
        "write_a_message_reaches_the_contact_at_their_next_visit",
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            open_communication(&agent).await?;
            show_contact(&agent, "Maria Lopez", "waterproofing spray").await?;
            // Her photo, which arrives after the conversation has opened at its newest
            // message, does not push that message out of view.
            let images = agent.wait_log_end_with_images("Conversation").await?;
            assert!(images >= 1, "Maria's conversation shows her photo");
            agent
                .fill("Write a Message", "Maria, the Wax Guard is back in stock")
                .await?;
            agent.click("button", "Send").await?;
            agent
                .wait_text(
                    "log",
                    "Conversation",
                    "Maria, the Wax Guard is back in stock",
                )
                .await?;

            // Later Maria opens the company site on a browser that never saw the chat.
            let maria = h.browser("maria").await?;
            maria.goto("/demo").await?;
            maria.identify(&identity_for("cust-1001")).await?;
            maria.wait_launcher_unread("1 unread message").await?;
            maria.open_widget().await?;
            let log = maria
                .wait_text("log", "Messages", "Maria, the Wax Guard is back in stock")
                .await?;
            let images = maria.wait_log_end_with_images("Messages").await?;
            assert!(images >= 1, "the widget shows Maria's photo");
            if !log.contains("Do you sell waterproofing spray?") {
                return Err(format!("Maria's earlier messages are missing:\n{log}").into());
            }
            maria
                .fill("Message", "Great, I will order two cans")
                .await?;
            maria.click("button", "Send").await?;
            maria
                .wait_text("log", "Messages", "Great, I will order two cans")
                .await?;

            // The agent hears about it, Show opens the conversation with the answer.
            agent.role("region", "Contact responded").await?;
            agent
                .wait_text(
                    "region",
                    "Contact responded",
                    "Great, I will order two cans",
                )
                .await?;
            // The agent is looking at someone else, with the list hidden: Show takes them to
            // Maria, list and all.
            show_contact(&agent, "Tom Becker", "Is the Alpine 2 tent good for snow?").await?;
            agent.click("button", "Hide contacts").await?;
            agent.wait_gone("list", "Contacts").await?;
            agent.click("button", "Show").await?;
            agent.role("list", "Contacts").await?;
            agent
                .wait_text("log", "Conversation", "Great, I will order two cans")
                .await?;
            agent.click("button", "Chat").await?;
            agent
                .role("region", "Chat Interaction: Maria Lopez")
                .await?;
            agent.role("log", "Transcript").await?;
            agent.assert_no_console_errors().await?;
            maria.leave_widget().await?;
            maria.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_send_failed_is_kept_through_a_reload() {
    run(
        "a_message_whose_send_failed_is_kept_through_a_reload",
        |h: Harness| async move {
            let text = "Maria, your order ships on Monday";
            let agent = h.browser("agent").await?;
            open_communication(&agent).await?;
            show_contact(&agent, "Maria Lopez", "waterproofing spray").await?;
            agent.network(false).await?;
            agent.fill("Write a Message", text).await?;
            agent.click("button", "Send").await?;
            agent.role("button", "Retry").await?;
            agent.wait_text("log", "Conversation", text).await?;
            // A notice above the transcript takes room from it: the newest message stays in
            // view.
            agent.click("button", "Chat").await?;
            let notice = agent
                .wait_role_text("alert", "Chat: The server cannot be reached")
                .await?;
            // In the product's words, not the browser's ("TypeError: Failed to fetch").
            assert!(
                notice.contains("Check the connection and try again.") && !notice.contains("Error"),
                "{notice}"
            );
            agent.wait_log_end_with_images("Conversation").await?;

            agent.network(true).await?;
            agent.reload().await?;
            agent
                .wait_role_text("alert", "had not reached the server when the page closed")
                .await?;
            agent.wait_text("log", "Conversation", text).await?;
            agent
                .wait_text(
                    "log",
                    "Conversation",
                    "The page closed before the server had this message.",
                )
                .await?;
            agent.click("button", "Retry").await?;
            agent.wait_gone("button", "Retry").await?;

            let (user, password) = DEMO_AGENTS[0];
            let api = ApiUser::agent(&h, user, password).await?;
            let maria = api.contact_id("Maria").await?;
            let page = api
                .get(&format!("/api/contacts/{maria}/conversation"))
                .await?;
            let stored = page["messages"]
                .as_array()
                .map_or(0, |m| m.iter().filter(|m| m["text"] == text).count());
            assert_eq!(stored, 1, "the message stored once: {page}");

            agent.reload().await?;
            let log = agent.wait_text("log", "Conversation", text).await?;
            assert_eq!(occurrences(&log, text), 1, "{log}");
            assert!(!agent.is_present("button", "Retry").await?, "{log}");
            assert!(
                agent.query("alert", None).await?.is_empty(),
                "no notice after the message was sent"
            );

            // A send the server stored whose answer never came back (the page closed first):
            // its record is put back, and Maria's newest page, which holds its client id,
            // settles it without a retry.
            let stored = "Maria, the invoice is attached";
            let id = client_id();
            api.post(
                &format!("/api/contacts/{maria}/messages"),
                json!({ "client_id": id, "text": stored, "source": "communication_tab" }),
            )
            .await?;
            let me = api.get("/api/me").await?["id"].clone();
            let key = format!("threadline.unsent.{me}");
            let record = format!("{maria}\u{1f}{id}\u{1f}\u{1f}\u{1f}1764000000000\u{1f}{stored}");
            agent.set_local_item(&key, &record).await?;
            agent.reload().await?;
            agent
                .wait_role_text("alert", "had not reached the server when the page closed")
                .await?;
            agent.wait_text("log", "Conversation", stored).await?;
            agent.wait_gone("button", "Retry").await?;
            let log = agent.text_of("log", "Conversation").await?;
            assert_eq!(occurrences(&log, stored), 1, "{log}");
            let kept = agent.local_item(&key).await?;
            assert_eq!(kept, None, "the settled record is gone");

            // A send the server refuses (a colleague took Maria's chat meanwhile) comes back
            // after a reload as it was: the server's reason, `Discard` and no `Retry`, and no
            // notice that it had not reached the server.
            let (user, password) = DEMO_AGENTS[1];
            let colleague = ApiUser::agent(&h, user, password).await?;
            colleague
                .post(&format!("/api/contacts/{maria}/chat"), json!({}))
                .await?;
            let refused = "Maria, one more thing about the invoice";
            let why = "is chatting with this contact";
            agent.fill("Write a Message", refused).await?;
            agent.click("button", "Send").await?;
            agent.wait_role_text("alert", why).await?;
            agent.role("button", "Discard").await?;
            assert!(!agent.is_present("button", "Retry").await?);
            agent.reload().await?;
            agent.wait_text("log", "Conversation", refused).await?;
            agent.wait_role_text("alert", why).await?;
            agent.role("button", "Discard").await?;
            assert!(!agent.is_present("button", "Retry").await?);
            for alert in agent.query("alert", None).await? {
                let text = alert.text().await?;
                assert!(!text.contains("page closed"), "{text}");
            }
            agent.click("button", "Discard").await?;
            agent.wait_gone("button", "Discard").await?;
            assert_eq!(
                agent.local_item(&key).await?,
                None,
                "a discarded record is gone"
            );
            agent
                .assert_no_console_errors_except(&[
                    "ERR_INTERNET_DISCONNECTED",
                    "the server responded with a status of 409",
                ])
                .await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_public_switch_shows_public_posts() {
    run(
        "private_public_switch_shows_public_posts",
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            open_communication(&agent).await?;
            // Tom Becker only ever wrote on Messenger; Hanna Berg only in a public Tweet.
            wait_contacts(&agent, &["Tom Becker"], &["Hanna Berg"]).await?;
            // Each row shows the channels the contact used, as icons named for a screen reader.
            agent.wait_some("img", "Facebook Messenger").await?;
            agent.wait_some("img", "Web Chat").await?;

            agent.click("button", "Public").await?;
            wait_contacts(&agent, &["Hanna Berg", "Emma Dubois"], &["Tom Becker"]).await?;
            agent.wait_some("img", "Tweet").await?;
            agent.click_containing("button", "Emma Dubois").await?;
            agent
                .wait_text(
                    "log",
                    "Conversation",
                    "your store in Lyon was closed on Saturday",
                )
                .await?;

            agent.click("button", "Private").await?;
            wait_contacts(&agent, &["Tom Becker"], &["Hanna Berg"]).await?;

            // Noah Williams wrote both a Tweet and a Direct Message: each view shows its own
            // kind only, however often the switch goes back and forth.
            let dm = "same rain jacket in XXL";
            let tweet = "best rain jacket I ever owned";
            for (public, shown, left_out) in
                [(false, dm, tweet), (true, tweet, dm), (false, dm, tweet)]
            {
                agent
                    .click("button", if public { "Public" } else { "Private" })
                    .await?;
                // His row in the Contacts list (the Public view also has `Reply to Noah
                // Williams`).
                agent
                    .click_containing("button", "Noah Williams Tweet")
                    .await?;
                let log = agent.wait_text("log", "Conversation", shown).await?;
                assert!(
                    !log.contains(left_out),
                    "the {} view shows {left_out:?}: {log}",
                    if public { "Public" } else { "Private" }
                );
            }
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_search_finds_a_word_from_an_old_message() {
    run(
        "contact_search_finds_a_word_from_an_old_message",
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            open_communication(&agent).await?;
            wait_contacts(&agent, &["Tom Becker", "Maria Lopez"], &[]).await?;
            agent.fill("Search contacts", "waterproofing").await?;
            wait_contacts(&agent, &["Maria Lopez"], &["Tom Becker"]).await?;
            agent.click_containing("button", "Maria Lopez").await?;
            agent
                .wait_text("log", "Conversation", "Do you sell waterproofing spray?")
                .await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_list_hides_and_shows() {
    run("contacts_list_hides_and_shows", |h: Harness| async move {
        let agent = h.browser("agent").await?;
        open_communication(&agent).await?;
        agent.role("list", "Contacts").await?;
        agent.click("button", "Hide contacts").await?;
        agent.wait_gone("list", "Contacts").await?;
        agent.wait_gone("searchbox", "Search contacts").await?;
        agent.click("button", "Show contacts").await?;
        agent.role("list", "Contacts").await?;
        agent.role("searchbox", "Search contacts").await?;
        agent.assert_no_console_errors().await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_erases_a_contact_and_every_desktop_drops_them() {
    run(
        "an_administrator_erases_a_contact_and_every_desktop_drops_them",
        |h: Harness| async move {
            let ann = h.browser("ann").await?;
            open_communication(&ann).await?;
            show_contact(&ann, "Omar Haddad", "WINTER40").await?;

            let ada = h.browser("ada").await?;
            login(&ada, "ada", "ada-pass-1").await?;
            ada.goto("/console/contacts").await?;
            ada.role("heading", "Contact data").await?;
            ada.fill("Find a contact", "Omar").await?;
            ada.click("button", "Find").await?;
            ada.wait_text("list", "Contacts found", "Omar Haddad")
                .await?;

            // What he asked to see, saved where the test can read it.
            let saved = ada
                .download("Export contact data: Omar Haddad", "contact-", "json")
                .await?;
            let export: wire::api::ContactExport = serde_json::from_str(&saved)?;
            if export.contact.display_name() != "Omar Haddad"
                || !export.messages.iter().any(|m| m.text.contains("WINTER40"))
            {
                return Err(format!("the export holds {saved}").into());
            }
            ada.wait_role_text("status", "The data of Omar Haddad was saved.")
                .await?;

            ada.click("button", "Erase contact: Omar Haddad").await?;
            let question = ada.text_of("group", "Erase Omar Haddad").await?;
            if !question.contains("Erase Omar Haddad at their request?") {
                return Err(format!("the confirmation says {question:?}").into());
            }
            ada.assert_accessible("the confirmation of Erase contact")
                .await?;
            ada.click("button", "Erase").await?;
            ada.wait_role_text("status", "Omar Haddad was erased.")
                .await?;
            ada.wait_gone("button", "Erase contact: Omar Haddad")
                .await?;

            ann.wait_role_text(
                "alert",
                "The contact you were viewing was erased at their request.",
            )
            .await?;
            ann.wait_gone("log", "Conversation").await?;
            wait_contacts(&ann, &[], &["Omar Haddad"]).await?;
            // A new search of the server's list: he is not in it.
            ann.fill("Search contacts", "a").await?;
            wait_contacts(&ann, &["Maria Lopez", "Priya Nair"], &["Omar Haddad"]).await?;
            ann.assert_no_console_errors().await?;
            ada.assert_no_console_errors().await
        },
    )
    .await;
}

/// The Page token the stand-in platform takes.
const PAGE_TOKEN: &str = "page-token-for-the-browser-test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_composer_says_what_the_platform_allows_before_anything_is_typed() {
    run(
        "the_composer_says_what_the_platform_allows_before_anything_is_typed",
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            open_communication(&agent).await?;

            show_contact(&agent, "Tom Becker", "Alpine 2 tent").await?;
            agent
                .wait_text(
                    "region",
                    "Communication",
                    "Messenger allows answers only within 7 days of Tom Becker's last message: \
                     you can answer when they write again",
                )
                .await?;
            wait_until("Tom's composer closed", default_timeout(), || async {
                let field = agent.role("textbox", "Write a Message").await?;
                let chat = agent.role("button", "Chat").await?;
                Ok((!field.is_enabled().await? && !chat.is_enabled().await?).then_some(()))
            })
            .await?;

            show_contact(&agent, "Lucas Martin", "return policy for worn shoes").await?;
            let note = agent
                .wait_text(
                    "region",
                    "Communication",
                    "this reply goes to Lucas Martin as a human agent's answer",
                )
                .await?;
            assert!(note.contains("up to 2000 characters"), "{note}");
            assert!(note.contains("0 / 2000"), "{note}");
            let log = agent.text_of("log", "Conversation").await?;
            assert!(
                log.contains("Facebook Messenger"),
                "each message names its channel: {log}"
            );
            let long = "x".repeat(2001);
            agent.fill("Write a Message", &long).await?;
            agent
                .wait_text("region", "Communication", "2001 / 2000")
                .await?;
            agent.click("button", "Send").await?;
            agent
                .wait_text(
                    "region",
                    "Communication",
                    "The message is 2001 characters long; at most 2000 can be sent.",
                )
                .await?;
            let log = agent.text_of("log", "Conversation").await?;
            assert!(!log.contains(&long), "nothing was sent: {log}");

            show_contact(&agent, "Noah Williams", "rain jacket in XXL").await?;
            agent
                .wait_text(
                    "region",
                    "Communication",
                    "Replies go to Noah Williams as a Twitter Direct Message, up to",
                )
                .await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messenger_reply_goes_out_and_a_refusal_can_be_retried() {
    let standin = Standin::new(Tokens {
        meta_page_token: PAGE_TOKEN.to_owned(),
        x_access_token: "unused".to_owned(),
    });
    let base = threadline_platform_standin::spawn(standin.clone())
        .await
        .expect("serve the stand-in platform");
    let reason = "(#551) This person isn't available right now.";
    standin.fail(
        Failure::Rejected {
            message: reason.to_owned(),
        },
        1,
    );
    let options = Options {
        configure: Box::new(move |c| {
            c.outbound = OutboundApis {
                meta_api_url: base,
                meta_page_token: PAGE_TOKEN.to_owned(),
                ..OutboundApis::default()
            };
        }),
        ..Options::default()
    };
    run_with(
        "a_messenger_reply_goes_out_and_a_refusal_can_be_retried",
        options,
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            open_communication(&agent).await?;
            show_contact(&agent, "Lucas Martin", "return policy for worn shoes").await?;
            let text = "Lucas, your return label is on its way";
            agent.fill("Write a Message", text).await?;
            agent.click("button", "Send").await?;

            let alert = agent.wait_role_text("alert", reason).await?;
            assert!(alert.starts_with("Not sent"), "{alert}");
            agent.wait_text("log", "Conversation", "Not sent").await?;
            agent.click("button", "Retry").await?;
            wait_until("the reply marked Sent", default_timeout(), || async {
                let log = agent.text_of("log", "Conversation").await?;
                Ok((log.contains("Sent") && !log.contains("Not sent")).then_some(()))
            })
            .await?;

            let requests = standin.requests();
            assert_eq!(
                requests.len(),
                2,
                "one refused call, one sent: {requests:?}"
            );
            let sent = &requests[1];
            assert_eq!(sent.status, 200);
            // The token travels in a header, never in the URL.
            assert_eq!(sent.access_token, None);
            assert_eq!(
                sent.authorization.as_deref(),
                Some(format!("Bearer {PAGE_TOKEN}").as_str())
            );
            assert_eq!(sent.body["recipient"]["id"], "psid-2266");
            assert_eq!(sent.body["message"]["text"], text);
            assert_eq!(sent.body["messaging_type"], "MESSAGE_TAG");
            assert_eq!(sent.body["tag"], "HUMAN_AGENT");
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_comment_is_answered_publicly_in_its_thread() {
    use hmac::Mac;
    const APP_SECRET: &str = "meta-app-secret-for-the-public-reply-test";
    const PAGE: &str = "5566001122";
    let standin = Standin::new(Tokens {
        meta_page_token: PAGE_TOKEN.to_owned(),
        x_access_token: "unused".to_owned(),
    });
    let base = threadline_platform_standin::spawn(standin.clone())
        .await
        .expect("serve the stand-in platform");
    let options = Options {
        configure: Box::new(move |c| {
            c.meta = MetaWebhook {
                app_secret: APP_SECRET.to_owned(),
                verify_token: "verify".to_owned(),
                page_id: Some(PAGE.to_owned()),
            };
            c.outbound = OutboundApis {
                meta_api_url: base,
                meta_page_token: PAGE_TOKEN.to_owned(),
                ..OutboundApis::default()
            };
        }),
        ..Options::default()
    };
    run_with(
        "a_signed_comment_is_answered_publicly_in_its_thread",
        options,
        |h: Harness| async move {
            // Lena's post on the Page, and her comment on it, as Meta sends them.
            let post = format!("{PAGE}_7001");
            let comment = "7001_8001";
            let from = serde_json::json!({"id": "41000000001", "name": "Lena Park"});
            let body = serde_json::json!({"object": "page", "entry": [{"id": PAGE, "time": 1,
                "changes": [
                    {"field": "feed", "value": {"item": "post", "verb": "add", "post_id": post,
                        "from": from, "message": "Lost my parcel from order 5521"}},
                    {"field": "feed", "value": {"item": "comment", "verb": "add",
                        "post_id": post, "comment_id": comment, "parent_id": post,
                        "from": from, "message": "Tracking says delivered, it was not"}}]}]});
            let raw = serde_json::to_vec(&body)?;
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(APP_SECRET.as_bytes())?;
            mac.update(&raw);
            let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
            let answer = reqwest::Client::new()
                .post(h.url("/api/webhooks/meta"))
                .header("content-type", "application/json")
                .header("X-Hub-Signature-256", signature)
                .body(raw)
                .send()
                .await?;
            assert_eq!(answer.status().as_u16(), 200);

            let agent = h.browser("agent").await?;
            open_communication(&agent).await?;
            agent.click("button", "Public").await?;
            show_contact(&agent, "Lena Park", "Tracking says delivered").await?;
            // The comment sits under the post, indented.
            let rows = agent
                .client
                .execute(
                    "return [...document.querySelectorAll('.conv-row')]\
                     .filter(r => r.textContent.includes('order 5521') \
                        || r.textContent.includes('Tracking says'))\
                     .map(r => [r.textContent.includes('Tracking says'), r.getAttribute('style') || '']);",
                    vec![],
                )
                .await?;
            let rows = rows.as_array().cloned().unwrap_or_default();
            assert_eq!(rows.len(), 2, "{rows:?}");
            assert_eq!(rows[0][0], false, "the post first: {rows:?}");
            assert_eq!(rows[1][0], true, "then its comment: {rows:?}");
            assert_eq!(rows[0][1], "", "the post is not indented: {rows:?}");
            assert!(
                rows[1][1].as_str().is_some_and(|s| s.contains("margin-left")),
                "the comment is indented: {rows:?}"
            );
            // Both are Lena's: the second button is the comment's.
            let buttons = agent.query("button", Some("Reply to Lena Park")).await?;
            assert_eq!(buttons.len(), 2);
            buttons[1].clone().click().await?;
            let text = "Sorry Lena, a courier is on the way";
            agent.fill("Reply publicly to Lena Park's comment", text).await?;
            agent.click("button", "Send").await?;
            wait_until("the public reply marked Sent", default_timeout(), || async {
                let log = agent.text_of("log", "Conversation").await?;
                Ok((log.contains(text) && log.contains("Sent")).then_some(()))
            })
            .await?;
            let requests = standin.requests();
            assert_eq!(requests.len(), 1, "{requests:?}");
            assert_eq!(requests[0].path, format!("/v21.0/{comment}/comments"));
            assert_eq!(requests[0].body["message"], text);
            assert_eq!(
                requests[0].authorization.as_deref(),
                Some(format!("Bearer {PAGE_TOKEN}").as_str())
            );
            agent.assert_no_console_errors().await
        },
    )
    .await;
}
