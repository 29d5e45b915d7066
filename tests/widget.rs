//! The visitor widget on the demo company page (`/demo`), in Chromium: the conversation
//! outlives the page, follows a signed identity to another device, refuses forged identities
//! and files it cannot send.
//!
//! # Layout
//! - `widget_keeps_the_conversation_across_visits`: a visitor starts a chat and talks with an
//!   agent (played over the API), leaves; the agent writes; the visitor comes back in a new
//!   browser session on the same profile and finds the message and the unread count.
//! - `signed_identity_shows_the_same_conversation_on_a_clean_browser`: two browsers, one
//!   customer identity, one conversation (live in both); a message that could not go is not
//!   kept in the browser.
//! - `visitor_sees_the_chat_accepted_and_ended`: the panel says it is waiting, then names the
//!   agent who accepted, then says the chat has ended when the agent ends it.
//! - `forged_or_expired_identity_is_refused`: the API answers 403, the panel says so and shows
//!   nobody's conversation.
//! - `widget_refuses_files_it_cannot_send`: a text file, an oversize image and an SVG named
//!   `.png` are refused with a message in the panel; a real PNG goes through, one taller than
//!   the panel, and the log shows its end once the picture has arrived, and still when an
//!   alert takes room from it.
//! - `widget_sends_a_picture_again_that_did_not_go`: a picture whose message or upload did not
//!   reach the server is kept and named with `Send picture again` (its upload not sent twice)
//!   and `Discard picture`; the server stores each sent picture once.
//! - `widget_gives_back_a_picture_the_page_closed_on`: a picture whose message, then one
//!   whose upload, did not go before a reload is back beside `Send picture again` with a
//!   notice (the first not uploaded again, the second's file read back from the browser's
//!   storage); each is stored once with the chosen bytes, and nothing is given back after.
//! - `widget_stream_reconnects_without_losing_or_repeating_messages`: the panel's live stream
//!   is cut while the agent writes; once it is back, every message shows exactly once.
//! - `widget_gives_back_a_message_the_page_closed_on`: a send fails offline, the page reloads;
//!   the text is back in the field with a notice and goes once on `Send`; a send the server
//!   stored before the page closed is not given back; a kept one goes with the token when the
//!   page identifies a customer.
//! - `widget_does_not_give_back_a_message_the_server_refused`: a send the server refuses (a
//!   4xx) stays in the field with the server's reason and is not kept.
//! - `widget_works_with_the_keyboard_alone`: Tab to the launcher, Enter opens the panel with
//!   the focus inside, the start form and the composer by keyboard, new messages land in a
//!   polite live region, Escape closes and returns the focus to the launcher, Space reopens.
//!
//! The agent side is played over HTTP (`harness::ApiUser`) so these tests do not depend on
//! the desktop.

mod harness;

use fantoccini::key::Key;
use harness::{
    client_id, default_timeout, identity_for, identity_secret, occurrences, run, run_with,
    solid_png, unix_now, wait_until, ApiUser, Browser, Files, Harness, Options, Result,
    DEMO_AGENTS, SVG, TINY_PNG,
};
use serde_json::json;
use threadline_api::Config;

/// Opens `/demo`, the panel, fills the start form and starts a chat as `name`.
async fn start_chat(visitor: &Browser, name: &str) -> Result {
    visitor.goto("/demo").await?;
    visitor.open_widget().await?;
    visitor.fill("Name", name).await?;
    visitor.click("button", "Start chat").await?;
    visitor.role("textbox", "Message").await?;
    Ok(())
}

/// Types `text` into the panel's Message field and presses Send; waits until it is shown.
async fn say(visitor: &Browser, text: &str) -> Result {
    visitor.fill("Message", text).await?;
    visitor.click("button", "Send").await?;
    visitor.wait_text("log", "Messages", text).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_keeps_the_conversation_across_visits() {
    run(
        "widget_keeps_the_conversation_across_visits",
        |h: Harness| async move {
            let (login, password) = DEMO_AGENTS[0];
            let agent = ApiUser::agent(&h, login, password).await?;
            agent.ready().await?;

            let visitor = h.browser("visitor").await?;
            start_chat(&visitor, "Wanda Walker").await?;
            say(&visitor, "Hello from the shop page").await?;

            let interaction = agent.accept_next_offer().await?;
            let contact = interaction["contact_id"]
                .as_i64()
                .ok_or("the accepted interaction has no contact_id")?;
            agent
                .write_to_contact(contact, "Hi Wanda, how can I help?", "interaction_view")
                .await?;
            visitor
                .wait_text("log", "Messages", "Hi Wanda, how can I help?")
                .await?;
            say(&visitor, "Where is my order 4711?").await?;

            // The visitor closes the browser; the agent answers while they are away.
            visitor.leave_widget().await?;
            visitor.quit().await?;
            agent
                .write_to_contact(contact, "Your order 4711 ships today", "interaction_view")
                .await?;

            // Later: a new browser session on the same profile (same storage).
            let back = h.browser_like("visitor-back", &visitor).await?;
            back.goto("/demo").await?;
            back.wait_launcher_unread("1 unread message").await?;
            back.open_widget().await?;
            let log = back
                .wait_text("log", "Messages", "Your order 4711 ships today")
                .await?;
            for earlier in [
                "Hello from the shop page",
                "Hi Wanda, how can I help?",
                "Where is my order 4711?",
            ] {
                if !log.contains(earlier) {
                    return Err(
                        format!("the earlier message {earlier:?} is missing:\n{log}").into(),
                    );
                }
            }
            // Reading clears the count.
            back.leave_widget().await?;
            back.wait_launcher_unread("").await?;
            back.assert_no_console_errors().await
        },
    )
    .await;
}

/// Where the widget keeps a message on its way (in its frame's `localStorage`).
const UNSENT_KEY: &str = "threadline.visitor_unsent";

/// Waits until the widget no longer keeps a message on its way (`what` names the moment).
async fn wait_unsent_forgotten(visitor: &Browser, what: &str) -> Result {
    wait_until(what, default_timeout(), || async {
        Ok(visitor
            .local_item(UNSENT_KEY)
            .await?
            .is_none()
            .then_some(()))
    })
    .await
}

/// Turns the network off, types `text` and presses Send; waits until the panel says
/// nothing was sent (the network stays off).
async fn send_offline(visitor: &Browser, text: &str) -> Result {
    visitor.network(false).await?;
    visitor.fill("Message", text).await?;
    visitor.click("button", "Send").await?;
    visitor.wait_role_text("alert", "nothing was sent").await?;
    Ok(())
}

/// Reloads the page around the panel and opens the panel again.
async fn reload_widget(visitor: &Browser) -> Result {
    visitor.leave_widget().await?;
    visitor.reload().await?;
    visitor.open_widget().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_gives_back_a_message_the_page_closed_on() {
    run(
        "widget_gives_back_a_message_the_page_closed_on",
        |h: Harness| async move {
            let text = "Is the blue jacket back in stock?";
            let visitor = h.browser("visitor").await?;
            start_chat(&visitor, "Nora Novak").await?;
            say(&visitor, "Hello from the shop page").await?;
            send_offline(&visitor, text).await?;

            // The page closes with the message not sent; back online, it is given back.
            visitor.network(true).await?;
            reload_widget(&visitor).await?;
            visitor
                .wait_role_text("alert", "had not reached us when the page closed")
                .await?;
            let field = visitor.role("textbox", "Message").await?;
            assert_eq!(field.prop("value").await?.as_deref(), Some(text));
            visitor.click("button", "Send").await?;
            visitor.wait_text("log", "Messages", text).await?;
            wait_unsent_forgotten(&visitor, "the kept message forgotten").await?;

            let token = visitor.local_item("threadline.visitor_token").await?;
            let api = ApiUser::visitor_with_token(&h, &token.ok_or("no token kept")?);
            let page = api.get("/api/visitor/conversation").await?;
            let stored = page["messages"]
                .as_array()
                .map_or(0, |m| m.iter().filter(|m| m["text"] == text).count());
            assert_eq!(stored, 1, "the message stored once: {page}");

            // A send the server stored whose answer never came back (the page closed first):
            // the newest page holds its client id, so nothing is given back.
            let answered = "Stored before the page closed";
            let id = client_id();
            api.post(
                "/api/visitor/messages",
                json!({ "client_id": id, "text": answered }),
            )
            .await?;
            visitor
                .set_local_item(UNSENT_KEY, &format!("{id}\u{1f}{answered}"))
                .await?;
            reload_widget(&visitor).await?;
            let log = visitor.wait_text("log", "Messages", answered).await?;
            assert_eq!(occurrences(&log, answered), 1, "{log}");
            wait_unsent_forgotten(&visitor, "the settled message forgotten").await?;
            let field = visitor.role("textbox", "Message").await?;
            assert_eq!(field.prop("value").await?.as_deref(), Some(""));
            for alert in visitor.query("alert", None).await? {
                let notice = alert.text().await?;
                assert!(!notice.contains("had not reached"), "{notice}");
            }

            // A message kept on its way goes with the token: here a page that identifies a
            // customer on this computer.
            send_offline(&visitor, "One more thing").await?;
            assert!(
                visitor.local_item(UNSENT_KEY).await?.is_some(),
                "the failed send kept"
            );
            visitor.network(true).await?;
            visitor.leave_widget().await?;
            visitor.identify(&identity_for("cust-web-5150")).await?;
            visitor.enter_widget().await?;
            wait_unsent_forgotten(&visitor, "the kept message forgotten with the token").await?;
            visitor
                .assert_no_console_errors_except(&["ERR_INTERNET_DISCONNECTED"])
                .await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_does_not_give_back_a_message_the_server_refused() {
    // The server takes shorter messages than the widget checks for: a refusal the widget
    // cannot see coming (an operator's `--max-message-chars`).
    let options = Options {
        configure: Box::new(|config: &mut Config| config.max_message_chars = 40),
        ..Options::default()
    };
    run_with(
        "widget_does_not_give_back_a_message_the_server_refused",
        options,
        |h: Harness| async move {
            let text = "A question far longer than this server takes in one message";
            let visitor = h.browser("visitor").await?;
            start_chat(&visitor, "Rita Refused").await?;
            visitor.fill("Message", text).await?;
            visitor.click("button", "Send").await?;
            visitor.wait_role_text("alert", "40").await?;
            // The text stays in the field beside the server's reason, but it is not a
            // message on its way: a reload does not bring it back.
            let field = visitor.role("textbox", "Message").await?;
            assert_eq!(field.prop("value").await?.as_deref(), Some(text));
            assert!(
                visitor.local_item(UNSENT_KEY).await?.is_none(),
                "nothing kept"
            );
            visitor.assert_no_console_errors_except(&["413"]).await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_identity_shows_the_same_conversation_on_a_clean_browser() {
    run(
        "signed_identity_shows_the_same_conversation_on_a_clean_browser",
        |h: Harness| async move {
            let identity = identity_for("cust-web-4242");

            let laptop = h.browser("laptop").await?;
            laptop.goto("/demo").await?;
            laptop.identify(&identity).await?;
            laptop.open_widget().await?;
            laptop.fill("Name", "Ida Identified").await?;
            laptop.click("button", "Start chat").await?;
            say(&laptop, "Sent from my laptop").await?;

            let phone = h.browser("phone").await?;
            phone.goto("/demo").await?;
            phone.identify(&identity).await?;
            phone.open_widget().await?;
            phone
                .wait_text("log", "Messages", "Sent from my laptop")
                .await?;
            say(&phone, "And this one from my phone").await?;

            // The laptop, still open, sees it live.
            laptop
                .wait_text("log", "Messages", "And this one from my phone")
                .await?;
            phone.assert_no_console_errors().await?;

            // A customer's message that could not go is not kept in the browser either: the
            // next person at a shared computer must not find it.
            send_offline(&laptop, "My card ends in 4242").await?;
            assert!(
                laptop.local_item(UNSENT_KEY).await?.is_none(),
                "nothing kept"
            );
            laptop.network(true).await?;
            laptop
                .assert_no_console_errors_except(&["ERR_INTERNET_DISCONNECTED"])
                .await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitor_sees_the_chat_accepted_and_ended() {
    run(
        "visitor_sees_the_chat_accepted_and_ended",
        |h: Harness| async move {
            let visitor = h.browser("visitor").await?;
            start_chat(&visitor, "Vera Waiting").await?;
            say(&visitor, "Anyone there?").await?;
            visitor
                .wait_role_text("paragraph", "Waiting for an agent")
                .await?;

            let (login, password) = DEMO_AGENTS[0];
            let agent = ApiUser::agent(&h, login, password).await?;
            agent.ready().await?;
            let interaction = agent.accept_next_offer().await?;
            let id = interaction["id"].as_i64().ok_or("no interaction id")?;
            // The widget told the server which page of the company site the chat began on.
            if interaction["contact_page"] != "/demo" {
                return Err(format!("start page: {}", interaction["contact_page"]).into());
            }
            visitor.role("heading", "Ann Archer").await?;
            visitor.wait_role_text("paragraph", "Online").await?;

            agent
                .post(&format!("/api/interactions/{id}/end"), json!({}))
                .await?;
            visitor.role("button", "Start again").await?;
            visitor
                .wait_role_text("paragraph", "The chat has ended")
                .await?;
            visitor.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_or_expired_identity_is_refused() {
    run(
        "forged_or_expired_identity_is_refused",
        |h: Harness| async move {
            // Maria Lopez (cust-1001) has seeded Web Chat history mentioning "waterproofing".
            let forged = threadline_api::auth::sign_identity(
                "not-the-server-secret",
                "cust-1001",
                unix_now() + 3600,
            );
            let expired = threadline_api::auth::sign_identity(
                &identity_secret(),
                "cust-1001",
                unix_now() - 60,
            );
            let http = reqwest::Client::new();
            for (what, token) in [("forged", &forged), ("expired", &expired)] {
                let response = http
                    .post(h.url("/api/visitor/session"))
                    .json(&json!({ "identity": token }))
                    .send()
                    .await?;
                if response.status() != reqwest::StatusCode::FORBIDDEN {
                    return Err(format!(
                        "a {what} identity got {} instead of 403 Forbidden",
                        response.status()
                    )
                    .into());
                }
            }

            let visitor = h.browser("visitor").await?;
            visitor.goto("/demo").await?;
            visitor.identify(&forged).await?;
            visitor.open_widget().await?;
            visitor
                .wait_role_text("alert", "could not confirm who you are")
                .await?;
            visitor.role("button", "Start chat").await?;
            let log = visitor.text_of("log", "Messages").await?;
            if log.contains("waterproofing") {
                return Err("a forged identity shows Maria Lopez's conversation".into());
            }

            visitor.leave_widget().await?;
            visitor.identify(&expired).await?;
            visitor.enter_widget().await?;
            visitor.wait_role_text("alert", "expired").await?;
            visitor.role("button", "Start chat").await?;
            // The refusals are answers the panel expects, not page errors.
            visitor
                .assert_no_console_errors_except(&["/api/visitor/session", "403"])
                .await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_refuses_files_it_cannot_send() {
    run(
        "widget_refuses_files_it_cannot_send",
        |h: Harness| async move {
            let files = Files::new()?;
            let text = files.write("notes.txt", b"not an image")?;
            let mut big = TINY_PNG.to_vec();
            big.resize(5 * 1024 * 1024 + 1024, 0);
            let big = files.write("huge.png", &big)?;
            let svg = files.write("drawing.png", SVG.as_bytes())?;
            // Taller than the panel: its row must have that height before the picture arrives,
            // or the log, scrolled to its end while the row was short, stays at the top.
            let png = files.write("tall.png", &solid_png(40, 900)?)?;

            let visitor = h.browser("visitor").await?;
            start_chat(&visitor, "Fiona Files").await?;

            visitor.choose_file("#tl-file", &text).await?;
            visitor
                .wait_role_text("alert", "choose a PNG, JPEG, GIF or WebP image")
                .await?;
            visitor.choose_file("#tl-file", &big).await?;
            visitor.wait_role_text("alert", "too large").await?;
            visitor.choose_file("#tl-file", &svg).await?;
            visitor
                .wait_role_text("alert", "only PNG, JPEG, GIF and WebP images can be sent")
                .await?;
            // Nothing refused reached the transcript.
            let log = visitor.text_of("log", "Messages").await?;
            if !log.trim().is_empty() {
                return Err(format!("refused files left lines in the transcript:\n{log}").into());
            }

            visitor.choose_file("#tl-file", &png).await?;
            visitor.role("img", "Image: tall.png").await?;
            visitor.wait_log_end_with_images("Messages").await?;
            wait_until("the alert to clear", default_timeout(), || async {
                let alert = visitor
                    .client
                    .execute(
                        "return document.getElementById('tl-alert').textContent;",
                        vec![],
                    )
                    .await?;
                Ok(alert.as_str().is_some_and(str::is_empty).then_some(()))
            })
            .await?;
            // An alert takes room from the log: its end stays in view.
            visitor.choose_file("#tl-file", &text).await?;
            visitor
                .wait_role_text("alert", "choose a PNG, JPEG, GIF or WebP image")
                .await?;
            visitor.wait_log_end_with_images("Messages").await?;
            visitor
                .assert_no_console_errors_except(&["/api/visitor/attachments", "415"])
                .await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_sends_a_picture_again_that_did_not_go() {
    run(
        "widget_sends_a_picture_again_that_did_not_go",
        |h: Harness| async move {
            let files = Files::new()?;
            let receipt = files.write("receipt.png", &solid_png(30, 20)?)?;
            let label = files.write("label.png", &solid_png(20, 30)?)?;
            let other = files.write("other.png", TINY_PNG)?;
            let visitor = h.browser("visitor").await?;
            start_chat(&visitor, "Paula Pictures").await?;

            // Uploaded, but the message's request never reaches the server: the upload is
            // kept, so the next try sends it without uploading it again (uploads are blocked).
            visitor.block_urls(&["*/api/visitor/messages"]).await?;
            visitor.choose_file("#tl-file", &receipt).await?;
            visitor.wait_role_text("alert", "nothing was sent").await?;
            visitor.role("group", "receipt.png was not sent.").await?;
            visitor
                .assert_accessible("the panel with a picture that did not go")
                .await?;
            // One picture at a time: another waits until this one is sent or discarded.
            visitor.choose_file("#tl-file", &other).await?;
            visitor
                .wait_role_text("alert", "Send or discard receipt.png first.")
                .await?;
            send_picture_again(&visitor, &["*/api/visitor/attachments"], "receipt.png").await?;

            // The upload itself fails (uploads still blocked): the file is kept and uploaded
            // on the next try.
            visitor.choose_file("#tl-file", &label).await?;
            visitor.wait_role_text("alert", "nothing was sent").await?;
            visitor.role("group", "label.png was not sent.").await?;
            send_picture_again(&visitor, &[], "label.png").await?;
            visitor.wait_gone("button", "Discard picture").await?;

            // Discarded: gone from the panel, never sent.
            visitor.network(false).await?;
            visitor.choose_file("#tl-file", &other).await?;
            visitor.wait_role_text("alert", "nothing was sent").await?;
            visitor.click("button", "Discard picture").await?;
            visitor.wait_gone("button", "Send picture again").await?;
            visitor.network(true).await?;
            visitor.wait_focused("textbox", "Message").await?;

            // The server holds each sent picture once and nothing of the discarded one.
            let names: Vec<String> = stored_pictures(&h, &visitor)
                .await?
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            assert_eq!(names, ["receipt.png", "label.png"], "stored pictures");
            visitor
                .assert_no_console_errors_except(&["/api/visitor/", "ERR_"])
                .await
        },
    )
    .await;
}

/// Presses `Send picture again` with the requests matching `blocked` refused, and waits
/// until `name` is in the log and the button gone.
async fn send_picture_again(visitor: &Browser, blocked: &[&str], name: &str) -> Result {
    visitor.block_urls(blocked).await?;
    visitor.click("button", "Send picture again").await?;
    visitor.role("img", &format!("Image: {name}")).await?;
    visitor.wait_gone("button", "Send picture again").await
}

/// The pictures the server holds in the visitor's conversation, oldest first: each one's
/// name and address.
async fn stored_pictures(h: &Harness, visitor: &Browser) -> Result<Vec<(String, String)>> {
    let token = visitor.local_item("threadline.visitor_token").await?;
    let api = ApiUser::visitor_with_token(h, &token.ok_or("no token kept")?);
    let page = api.get("/api/visitor/conversation").await?;
    Ok(page["messages"]
        .as_array()
        .ok_or("no messages")?
        .iter()
        .filter_map(|m| {
            let a = &m["attachment"];
            Some((
                a["file_name"].as_str()?.to_owned(),
                a["url"].as_str()?.to_owned(),
            ))
        })
        .collect())
}

/// Waits until the browser keeps the picture `name` for the next visit (its record is written
/// once its file is stored, a moment after it was chosen).
async fn wait_picture_kept(visitor: &Browser, name: &str) -> Result {
    wait_until(
        "the picture kept in the browser",
        default_timeout(),
        || async {
            let record = visitor
                .local_item("threadline.visitor_unsent_picture")
                .await?;
            Ok(record.filter(|r| r.ends_with(name)).map(drop))
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_gives_back_a_picture_the_page_closed_on() {
    run(
        "widget_gives_back_a_picture_the_page_closed_on",
        |h: Harness| async move {
            let files = Files::new()?;
            let receipt_png = solid_png(30, 20)?;
            let label_png = solid_png(20, 30)?;
            let receipt = files.write("receipt.png", &receipt_png)?;
            let label = files.write("label.png", &label_png)?;
            let visitor = h.browser("visitor").await?;
            start_chat(&visitor, "Rita Reload").await?;

            // Uploaded, but its message never reached the server; the page is reloaded.
            visitor.block_urls(&["*/api/visitor/messages"]).await?;
            visitor.choose_file("#tl-file", &receipt).await?;
            visitor.role("group", "receipt.png was not sent.").await?;
            wait_picture_kept(&visitor, "receipt.png").await?;
            reload_widget(&visitor).await?;
            visitor
                .wait_role_text("alert", "Your picture had not reached us")
                .await?;
            visitor.role("group", "receipt.png was not sent.").await?;
            visitor
                .assert_accessible("the panel with a picture given back")
                .await?;
            // Its upload was kept too: the next try does not upload it again.
            send_picture_again(&visitor, &["*/api/visitor/attachments"], "receipt.png").await?;

            // The upload itself failed: the file comes back from the browser's storage.
            visitor.choose_file("#tl-file", &label).await?;
            visitor.role("group", "label.png was not sent.").await?;
            wait_picture_kept(&visitor, "label.png").await?;
            reload_widget(&visitor).await?;
            visitor.role("group", "label.png was not sent.").await?;
            send_picture_again(&visitor, &[], "label.png").await?;

            // Sent, nothing is given back again.
            reload_widget(&visitor).await?;
            visitor.role("img", "Image: label.png").await?;
            if visitor
                .local_item("threadline.visitor_unsent_picture")
                .await?
                .is_some()
            {
                return Err("a sent picture is still kept in the browser".into());
            }
            visitor.wait_gone("button", "Send picture again").await?;

            // The server holds each picture once, with the bytes the visitor chose.
            let sent = stored_pictures(&h, &visitor).await?;
            let names: Vec<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["receipt.png", "label.png"], "stored pictures");
            for ((name, url), chosen) in sent.iter().zip([&receipt_png, &label_png]) {
                let bytes = reqwest::get(format!("{}{url}", h.base_url()))
                    .await?
                    .error_for_status()?
                    .bytes()
                    .await?;
                assert_eq!(bytes.as_ref(), chosen.as_slice(), "{name}'s bytes");
            }
            visitor
                .assert_no_console_errors_except(&["/api/visitor/", "ERR_"])
                .await
        },
    )
    .await;
}

/// Fails unless each of `lines` occurs exactly once in the panel's transcript `log`.
fn each_once(log: &str, lines: &[&str], when: &str) -> Result {
    for line in lines {
        let n = occurrences(log, line);
        if n != 1 {
            return Err(format!("{when} {line:?} shows {n} times:\n{log}").into());
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_stream_reconnects_without_losing_or_repeating_messages() {
    run(
        "widget_stream_reconnects_without_losing_or_repeating_messages",
        |h: Harness| async move {
            let (login, password) = DEMO_AGENTS[0];
            let agent = ApiUser::agent(&h, login, password).await?;
            agent.ready().await?;

            let visitor = h.browser("visitor").await?;
            // Before any page loads: the hook then sits in the panel's iframe too.
            visitor.hook_event_streams().await?;
            start_chat(&visitor, "Rita Reconnect").await?;
            say(&visitor, "Hello, is the line good?").await?;
            let interaction = agent.accept_next_offer().await?;
            let contact = interaction["contact_id"]
                .as_i64()
                .ok_or("the accepted interaction has no contact_id")?;
            agent
                .write_to_contact(contact, "First, before the cut", "interaction_view")
                .await?;
            visitor
                .wait_text("log", "Messages", "First, before the cut")
                .await?;

            // The browser is in the panel's frame: these act on the panel's streams.
            let opened = visitor.cut_event_streams().await?;
            if opened == 0 {
                return Err("the panel opened no event stream".into());
            }
            // The panel tries again and fails at least once while the network is down.
            wait_until(
                "the panel to try to reconnect during the cut",
                default_timeout(),
                || async { Ok((visitor.event_streams_opened().await? > opened).then_some(())) },
            )
            .await?;
            agent
                .write_to_contact(contact, "Second, during the cut", "interaction_view")
                .await?;
            agent
                .write_to_contact(contact, "Third, during the cut", "interaction_view")
                .await?;
            let cut_log = visitor.text_of("log", "Messages").await?;
            if cut_log.contains("Second, during the cut") {
                return Err(format!(
                    "a message reached the panel through a cut stream:\n{cut_log}"
                )
                .into());
            }
            let before_restore = visitor.event_streams_opened().await?;

            visitor.restore_event_streams().await?;
            visitor
                .wait_text("log", "Messages", "Third, during the cut")
                .await?;
            agent
                .write_to_contact(contact, "Fourth, after the cut", "interaction_view")
                .await?;
            let log = visitor
                .wait_text("log", "Messages", "Fourth, after the cut")
                .await?;
            let all = [
                "Hello, is the line good?",
                "First, before the cut",
                "Second, during the cut",
                "Third, during the cut",
                "Fourth, after the cut",
            ];
            each_once(&log, &all, "after the reconnect")?;
            if visitor.event_streams_opened().await? <= before_restore {
                return Err("the panel did not open a new stream after the cut".into());
            }

            // A new page shows the same, once each.
            visitor.leave_widget().await?;
            visitor.reload().await?;
            visitor.open_widget().await?;
            let log = visitor
                .wait_text("log", "Messages", "Fourth, after the cut")
                .await?;
            each_once(&log, &all, "after a reload")?;
            visitor.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_works_with_the_keyboard_alone() {
    run(
        "widget_works_with_the_keyboard_alone",
        |h: Harness| async move {
            let tab = Key::Tab.to_string();
            let enter = Key::Enter.to_string();
            let escape = Key::Escape.to_string();

            let visitor = h.browser("visitor").await?;
            visitor.goto("/demo").await?;
            visitor.role("button", "Chat with us").await?;
            // The demo page has nothing else to focus: the first Tab reaches the launcher.
            visitor.press(&tab).await?;
            visitor.wait_focused("button", "Chat with us").await?;
            visitor.press(&enter).await?;
            let launcher = visitor.role("button", "Chat with us").await?;
            if launcher.attr("aria-expanded").await?.as_deref() != Some("true") {
                return Err("Enter on the launcher did not open the panel".into());
            }

            // The focus moves into the panel, to the start form's first field.
            visitor.enter_widget().await?;
            visitor.wait_focused("textbox", "Name").await?;
            visitor.press("Kim Keys").await?;
            visitor.press(&tab).await?;
            visitor.wait_focused("textbox", "Email").await?;
            visitor.press("kim@example.com").await?;
            visitor.press(&enter).await?;

            // The chat starts with the focus in the message field; Enter sends.
            visitor.wait_focused("textbox", "Message").await?;
            visitor.press("Typed without a mouse").await?;
            visitor.press(&enter).await?;
            visitor
                .wait_text("log", "Messages", "Typed without a mouse")
                .await?;
            let field = visitor.role("textbox", "Message").await?;
            wait_until("the message field to empty", default_timeout(), || async {
                Ok(field
                    .prop("value")
                    .await?
                    .unwrap_or_default()
                    .is_empty()
                    .then_some(()))
            })
            .await?;

            // New messages are announced: the transcript is a polite live region, and the
            // agent's answer is added to it.
            let log = visitor.role("log", "Messages").await?;
            if log.attr("aria-live").await?.as_deref() != Some("polite") {
                return Err("the transcript is not an aria-live=polite region".into());
            }
            let (login, password) = DEMO_AGENTS[0];
            let agent = ApiUser::agent(&h, login, password).await?;
            agent.ready().await?;
            let interaction = agent.accept_next_offer().await?;
            let contact = interaction["contact_id"]
                .as_i64()
                .ok_or("the accepted interaction has no contact_id")?;
            agent
                .write_to_contact(contact, "Hello Kim, I read you", "interaction_view")
                .await?;
            visitor
                .wait_text("log", "Messages", "Hello Kim, I read you")
                .await?;
            visitor.wait_focused("textbox", "Message").await?;

            // Escape closes the panel and gives the focus back to the launcher.
            visitor.press(&escape).await?;
            visitor.leave_widget().await?;
            visitor.wait_focused("button", "Chat with us").await?;
            let launcher = visitor.role("button", "Chat with us").await?;
            if launcher.attr("aria-expanded").await?.as_deref() != Some("false") {
                return Err("Escape did not close the panel".into());
            }

            // Space opens it again, straight into the message field, and Escape closes it.
            visitor.press(" ").await?;
            visitor.enter_widget().await?;
            visitor.wait_focused("textbox", "Message").await?;
            let log = visitor.text_of("log", "Messages").await?;
            each_once(
                &log,
                &["Typed without a mouse", "Hello Kim, I read you"],
                "after reopening",
            )?;
            visitor.press(&escape).await?;
            visitor.leave_widget().await?;
            visitor.wait_focused("button", "Chat with us").await?;
            visitor.assert_no_console_errors().await
        },
    )
    .await;
}
