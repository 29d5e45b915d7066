//! Monitor in Chromium: a supervisor watches a live chat from the console and reassigns it.
//!
//! # Layout
//! - `supervisor_monitors_and_reassigns_a_chat`: Mia starts a chat in the widget and Ann
//!   (Ready) accepts it. Sam opens the console and `Monitor`s it from the Agents table: the
//!   read-only view ("Monitoring: Mia Monitor", no message box) shows the transcript, and Ann's
//!   Chat Interaction view says "Sam Sato is monitoring this chat". Mia writes again and the
//!   message appears in Sam's view without a reload. Ben goes Ready; Sam reassigns the chat to
//!   the queue from the monitor view: Ann is told who reassigned it and her view leaves it, and
//!   Ben gets the offer; once he accepts, his view says Sam is monitoring it, until Sam stops.

mod harness;

use harness::{login, run, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_monitors_and_reassigns_a_chat() {
    run(
        "supervisor_monitors_and_reassigns_a_chat",
        |h: Harness| async move {
            let ann = h.browser("ann").await?;
            login(&ann, "ann", "ann-pass-1").await?;
            ann.select("Chat channel status", "Ready").await?;
            let ben = h.browser("ben").await?;
            login(&ben, "ben", "ben-pass-1").await?;

            let visitor = h.browser("visitor").await?;
            visitor.goto("/demo").await?;
            visitor.open_widget().await?;
            visitor.fill("Name", "Mia Monitor").await?;
            visitor.click("button", "Start chat").await?;
            visitor.fill("Message", "My card was charged twice").await?;
            visitor.click("button", "Send").await?;
            visitor
                .wait_text("log", "Messages", "My card was charged twice")
                .await?;

            ann.role("alertdialog", "Chat offer: Mia Monitor").await?;
            ann.click("button", "Accept").await?;
            let view = "Chat Interaction: Mia Monitor";
            ann.role("region", view).await?;

            // Sam monitors the chat from the Agents table.
            let sam = h.browser("sam").await?;
            login(&sam, "sam", "sam-pass-1").await?;
            sam.click("link", "Console").await?;
            sam.wait_text("table", "Agents", "Mia Monitor (Active)")
                .await?;
            sam.click("button", "Monitor the chat with Mia Monitor")
                .await?;
            sam.role("heading", "Monitoring: Mia Monitor").await?;
            sam.wait_text("log", "Transcript", "My card was charged twice")
                .await?;
            if sam.is_present("textbox", "Message").await? {
                return Err("the monitor view has a message box".into());
            }

            // Ann sees who watches.
            ann.wait_role_text("status", "Sam Sato is monitoring this chat")
                .await?;

            // What Mia writes reaches Sam's view live.
            visitor
                .fill("Message", "Can you refund one of them?")
                .await?;
            visitor.click("button", "Send").await?;
            sam.wait_text("log", "Transcript", "Can you refund one of them?")
                .await?;

            // Sam reassigns it to the queue; Ben, now Ready, gets it.
            ben.select("Chat channel status", "Ready").await?;
            sam.click("button", "Reassign this chat").await?;
            sam.role("dialog", "Reassign the chat with Mia Monitor")
                .await?;
            sam.select("Reassign to", "Queue").await?;
            sam.fill("Note to the next agent", "Double charge, refund one")
                .await?;
            sam.click("button", "Reassign").await?;
            sam.wait_gone("dialog", "Reassign the chat with Mia Monitor")
                .await?;

            ann.wait_role_text(
                "alert",
                "The chat with Mia Monitor was reassigned by Sam Sato to the queue.",
            )
            .await?;
            ann.wait_gone("region", view).await?;
            ann.wait_gone("status", "Sam Sato is monitoring this chat")
                .await?;

            ben.role_containing("alertdialog", "Mia Monitor").await?;
            ben.click("button", "Accept").await?;
            ben.role("region", view).await?;
            ben.wait_text("log", "Transcript", "Can you refund one of them?")
                .await?;
            ben.wait_role_text("status", "Sam Sato is monitoring this chat")
                .await?;

            sam.click("button", "Stop monitoring").await?;
            sam.wait_gone("heading", "Monitoring: Mia Monitor").await?;
            ben.wait_gone("status", "Sam Sato is monitoring this chat")
                .await?;

            sam.assert_no_console_errors().await?;
            ann.assert_no_console_errors().await?;
            ben.assert_no_console_errors().await?;
            visitor.assert_no_console_errors().await
        },
    )
    .await;
}
