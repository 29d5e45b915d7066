//! Asynchronous chat off, in Chromium: a chat lasts only while the visitor is there.
//!
//! # Layout
//! - `a_chat_without_asynchronous_chat_ends_when_the_visitor_leaves`: Ada turns `Asynchronous
//!   chat` off for Web Chat in the console's Channels page. Ann (Ready) accepts Lena's chat from
//!   the widget and answers; Lena leaves the page. Ann's transcript says the contact left, and
//!   her Message field is disabled with the reason above it ("Asynchronous chat is off for Web
//!   Chat: you can answer Lena Leaves when they start a new chat"), as are `Write a Message`
//!   and `Chat` for Lena in the Communication tab. Ann marks the chat Done.

mod harness;

use harness::{login, run_with, Harness, Options};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_without_asynchronous_chat_ends_when_the_visitor_leaves() {
    let options = Options {
        configure: Box::new(|c| c.presence_timeout = Duration::from_secs(3)),
        ..Options::default()
    };
    run_with(
        "a_chat_without_asynchronous_chat_ends_when_the_visitor_leaves",
        options,
        |h: Harness| async move {
            let ada = h.browser("ada").await?;
            login(&ada, "ada", "ada-pass-1").await?;
            ada.click("link", "Console").await?;
            ada.click("link", "Channels").await?;
            ada.click("checkbox", "Web Chat asynchronous chat").await?;
            ada.click("button", "Save Web Chat").await?;
            ada.wait_role_text("status", "Web Chat saved.").await?;

            let ann = h.browser("ann").await?;
            login(&ann, "ann", "ann-pass-1").await?;
            ann.select("Chat channel status", "Ready").await?;

            let lena = h.browser("lena").await?;
            lena.goto("/demo").await?;
            lena.open_widget().await?;
            lena.fill("Name", "Lena Leaves").await?;
            lena.click("button", "Start chat").await?;
            lena.fill("Message", "Do you ship to Norway?").await?;
            lena.click("button", "Send").await?;
            lena.wait_text("log", "Messages", "Do you ship to Norway?")
                .await?;

            ann.role("alertdialog", "Chat offer: Lena Leaves").await?;
            ann.click("button", "Accept").await?;
            ann.role("region", "Chat Interaction: Lena Leaves").await?;
            ann.fill("Message", "Hello Lena, let me check").await?;
            ann.click("button", "Send").await?;
            lena.wait_text("log", "Messages", "Hello Lena, let me check")
                .await?;

            lena.leave_page().await?;
            ann.wait_text("log", "Transcript", "The contact left the chat.")
                .await?;
            let reason =
                "Asynchronous chat is off for Web Chat: you can answer Lena Leaves when they start a new chat";
            ann.wait_role_text("status", reason).await?;
            if ann.role("textbox", "Message").await?.is_enabled().await? {
                return Err("the Message field is enabled after Lena left".into());
            }
            if ann.role("button", "Send").await?.is_enabled().await? {
                return Err("Send is enabled after Lena left".into());
            }

            // The Communication tab says the same for Lena.
            ann.click_containing("tab", "Communication").await?;
            ann.click_containing("button", "Lena Leaves").await?;
            ann.role("textbox", "Write a Message").await?;
            if ann.role("textbox", "Write a Message").await?.is_enabled().await? {
                return Err("Write a Message is enabled for Lena".into());
            }
            if ann.role("button", "Chat").await?.is_enabled().await? {
                return Err("Chat is enabled for Lena".into());
            }
            Ok(())
        },
    )
    .await;
}
