//! The visitor widget on the demo company page (`/demo`), in Chromium: the conversation
//! outlives the page, follows a signed identity to another device, refuses forged identities
//! and files it cannot send.
//!
//! # Layout
//! - `widget_keeps_the_conversation_across_visits`: a visitor starts a chat and talks with an
//!   agent (played over the API), leaves; the agent writes; the visitor comes back in a new
//!   browser session on the same profile and finds the message and the unread count.
//! - `signed_identity_shows_the_same_conversation_on_a_clean_browser`: two browsers, one
//!   customer identity, one conversation (live in both).
//! - `visitor_sees_the_chat_accepted_and_ended`: the panel says it is waiting, then names the
//!   agent who accepted, then says the chat has ended when the agent ends it.
//! - `forged_or_expired_identity_is_refused`: the API answers 403, the panel says so and shows
//!   nobody's conversation.
//! - `widget_refuses_files_it_cannot_send`: a text file, an oversize image and an SVG named
//!   `.png` are refused with a message in the panel; a real PNG goes through.
//!
//! The agent side is played over HTTP (`harness::ApiUser`) so these tests do not depend on
//! the desktop.

mod harness;

use harness::{
    default_timeout, identity_for, identity_secret, run, unix_now, wait_until, ApiUser, Browser,
    Files, Harness, Result, DEMO_AGENTS, SVG, TINY_PNG,
};
use serde_json::json;

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
            laptop.assert_no_console_errors().await?;
            phone.assert_no_console_errors().await
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
            let png = files.write("dot.png", TINY_PNG)?;

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
            visitor.role("img", "Image: dot.png").await?;
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
            visitor
                .assert_no_console_errors_except(&["/api/visitor/attachments", "415"])
                .await
        },
    )
    .await;
}
