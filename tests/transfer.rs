//! Transfer in Chromium: an agent hands a chat to a colleague with a note.
//!
//! # Layout
//! - `transfer_to_a_colleague_with_a_note`: Tara starts a chat in the widget; Ann (Ready) gets
//!   and accepts it; Ben goes Ready. Ann opens `Transfer`, picks Ben (listed with status and
//!   load), writes a note, and transfers: her view no longer holds the chat. Ben's offer says it
//!   is a transfer, from Ann, with the note; he accepts and sees the transcript with the
//!   transfer line. Tara's widget says "You're being connected to another agent", and Ann is
//!   told that Ben accepted.

mod harness;

use harness::{default_timeout, login, run, wait_until, Browser, Harness, Result};

/// Logs in and goes Ready.
async fn ready(agent: &Browser, user: &str, password: &str) -> Result {
    login(agent, user, password).await?;
    agent.select("Chat channel status", "Ready").await?;
    Ok(())
}

/// Opens ann's Transfer dialog once Ben shows as Ready in it (his status change may still be on
/// its way when the dialog first loads the list).
async fn open_transfer_with_ben_ready(ann: &Browser) -> Result {
    let ben = "Ben Brooks — Ready — 0 of 3";
    wait_until(
        "Ben Ready in the Transfer dialog",
        default_timeout(),
        || async {
            ann.click("button", "Transfer").await?;
            ann.role("dialog", "Transfer").await?;
            let loaded = wait_until("the colleagues list", default_timeout(), || async {
                Ok((!ann.is_present("status", "Loading colleagues…").await?).then_some(()))
            })
            .await;
            loaded?;
            if ann.is_present("radio", ben).await? {
                return Ok(Some(()));
            }
            ann.click("button", "Cancel").await?;
            Ok(None)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_to_a_colleague_with_a_note() {
    run(
        "transfer_to_a_colleague_with_a_note",
        |h: Harness| async move {
            let ann = h.browser("ann").await?;
            let ben = h.browser("ben").await?;
            ready(&ann, "ann", "ann-pass-1").await?;
            login(&ben, "ben", "ben-pass-1").await?;

            let visitor = h.browser("visitor").await?;
            visitor.goto("/demo").await?;
            visitor.open_widget().await?;
            visitor.fill("Name", "Tara Transfer").await?;
            visitor.click("button", "Start chat").await?;
            visitor.fill("Message", "My parcel never arrived").await?;
            visitor.click("button", "Send").await?;
            visitor
                .wait_text("log", "Messages", "My parcel never arrived")
                .await?;

            ann.role("alertdialog", "Chat offer: Tara Transfer").await?;
            ann.click("button", "Accept").await?;
            let view = "Chat Interaction: Tara Transfer";
            ann.role("region", view).await?;
            ann.wait_text("log", "Transcript", "My parcel never arrived")
                .await?;

            // Ben goes Ready only now, so the chat was Ann's.
            ben.select("Chat channel status", "Ready").await?;
            open_transfer_with_ben_ready(&ann).await?;
            ann.role("radio", "Queue").await?;
            ann.click("radio", "Ben Brooks — Ready — 0 of 3").await?;
            ann.fill("Note to the next agent", "Parcel 4411, lost in transit")
                .await?;
            ann.click("button", "Transfer").await?;
            ann.wait_gone("region", view).await?;

            // Ben's offer: a transfer, from Ann, with the note.
            let offer = ben
                .role("alertdialog", "Transfer offer: Tara Transfer")
                .await?;
            let text = offer.text().await?;
            for part in [
                "Transferred by Ann Archer",
                "Note: Parcel 4411, lost in transit",
                "My parcel never arrived",
            ] {
                if !text.contains(part) {
                    return Err(format!("the transfer offer lacks {part:?}: {text}").into());
                }
            }
            ben.click("button", "Accept").await?;
            ben.role("region", view).await?;
            ben.wait_text("log", "Transcript", "My parcel never arrived")
                .await?;
            ben.wait_text(
                "log",
                "Transcript",
                "Ann Archer transferred the chat to Ben Brooks",
            )
            .await?;

            // The customer is told another agent is coming (no names, no note).
            let log = visitor
                .wait_text("log", "Messages", "You're being connected to another agent")
                .await?;
            if log.contains("Parcel 4411") {
                return Err(format!("the visitor sees the note: {log}").into());
            }

            // Ann hears that Ben took it, and does not hold it any more.
            ann.wait_role_text("alert", "Ben Brooks accepted the chat you transferred")
                .await?;
            if ann.is_present("region", view).await? {
                return Err("Ann's desktop still shows the transferred chat".into());
            }
            ann.assert_no_console_errors().await?;
            ben.assert_no_console_errors().await?;
            visitor.assert_no_console_errors().await
        },
    )
    .await;
}
