//! The supervisor's board in the console (`/console/`), with the agent desktop and the widget
//! in other Chromium windows.
//!
//! # Layout
//! - `supervisor_watches_and_manages_the_board`: Sam (supervisor) opens the console from the
//!   desktop; a visitor writes and the chat shows in the Queue; Ann (whose desktop offers
//!   "Logged out" only while it is her status) goes Ready and accepts it and it moves to
//!   her line in Agents; Sam reassigns it to the queue with a note and Ann no longer holds it;
//!   Sam sets Ann Not Ready (Lunch), then logs her out, and Ann's desktop returns to the login
//!   screen and the board shows her logged out, with no action. Ben logs in and closes his
//!   browser: the board, read again every 10 s since neither is logged, shows him logged in,
//!   then offline.
//! - `agents_are_turned_away_from_the_console`: an agent who opens `/console/` is told it is
//!   for supervisors and administrators, and the desktop shows agents no `Console` link.

mod harness;

use harness::{
    default_timeout, login, run, run_with, save_readme_screenshot, wait_until, Browser, Harness,
    Options, Result,
};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_watches_and_manages_the_board() {
    // Agents go offline this long after their desktop was last seen.
    let options = Options {
        configure: Box::new(|c| c.presence_timeout = Duration::from_secs(6)),
        ..Options::default()
    };
    run_with(
        "supervisor_watches_and_manages_the_board",
        options,
        |h: Harness| async move {
            let sup = h.browser("supervisor").await?;
            login(&sup, "sam", "sam-pass-1").await?;
            sup.click("link", "Console").await?;
            sup.role("heading", "Board").await?;
            sup.wait_text("table", "Agents", "Ann Archer").await?;

            let visitor = h.browser("visitor").await?;
            visitor.goto("/demo").await?;
            visitor.open_widget().await?;
            visitor.fill("Name", "Quinn Queue").await?;
            visitor.click("button", "Start chat").await?;
            visitor.fill("Message", "Where is my parcel?").await?;
            visitor.click("button", "Send").await?;
            visitor
                .wait_text("log", "Messages", "Where is my parcel?")
                .await?;
            let queued = sup.wait_text("table", "Queue", "Quinn Queue").await?;
            if !queued.contains("Queued") {
                return Err(format!("the waiting chat is not shown as queued: {queued}").into());
            }

            let agent = h.browser("agent").await?;
            login(&agent, "ann", "ann-pass-1").await?;
            // Logged out is her status until she chooses another, then no longer a choice.
            let choices = agent.text_of("combobox", "Chat channel status").await?;
            if !choices.contains("Not Ready: Logged out") {
                return Err(format!("her status after login is not shown: {choices:?}").into());
            }
            agent.select("Chat channel status", "Ready").await?;
            wait_until(
                "Logged out to leave the choices",
                default_timeout(),
                || async {
                    let choices = agent.text_of("combobox", "Chat channel status").await?;
                    Ok(
                        (!choices.contains("Logged out") && choices.contains("Not Ready: Break"))
                            .then_some(()),
                    )
                },
            )
            .await?;
            agent.click("button", "Accept").await?;
            sup.wait_text("table", "Agents", "Quinn Queue (Active)")
                .await?;
            sup.wait_text("table", "Agents", "1 of 3").await?;
            save_readme_screenshot(&sup, "console.png").await?;

            // Reassign: back to the queue with a note; Ann no longer holds it.
            sup.click("button", "Reassign the chat with Quinn Queue")
                .await?;
            sup.role("dialog", "Reassign the chat with Quinn Queue")
                .await?;
            sup.select("Reassign to", "Queue").await?;
            sup.fill(
                "Note to the next agent",
                "Customer asked twice about the parcel",
            )
            .await?;
            sup.click("button", "Reassign").await?;
            sup.wait_gone("dialog", "Reassign the chat with Quinn Queue")
                .await?;
            sup.wait_text("table", "Queue", "Quinn Queue").await?;
            sup.wait_text("table", "Agents", "0 of 3").await?;

            // Logged out is what Log out gives, not a reason to choose.
            let reasons = sup
                .text_of("combobox", "Not Ready reason for Ann Archer")
                .await?;
            if reasons.contains("Logged out") || !reasons.contains("Lunch") {
                return Err(format!("the Not Ready reasons offered: {reasons:?}").into());
            }
            sup.select("Not Ready reason for Ann Archer", "Lunch")
                .await?;
            sup.click("button", "Set Not Ready: Ann Archer").await?;
            sup.wait_text("table", "Agents", "Not Ready: Lunch").await?;

            sup.click("button", "Log out Ann Archer").await?;
            agent.role("button", "Log in").await?;
            // Logged out, she is shown so, with nothing a supervisor could set.
            wait_row(&sup, "Ann Archer", "Logged out").await?;
            sup.wait_gone("button", "Set Not Ready: Ann Archer").await?;
            sup.wait_gone("button", "Log out Ann Archer").await?;

            // Ben logs in and then his browser closes: nothing is logged either time, and the
            // board, read again with time, shows him logged in, then offline once the presence
            // timeout has passed.
            let ben = h.browser("ben").await?;
            login(&ben, "ben", "ben-pass-1").await?;
            sup.role("button", "Log out Ben Brooks").await?;
            ben.quit().await?;
            wait_row(&sup, "Ben Brooks", "Not Ready: Logged out (offline)").await?;
            sup.assert_no_console_errors().await?;
            // Ann's desktop asked for a new stream ticket with the ended session: that 401 is what
            // sent it back to the login screen.
            agent
                .assert_no_console_errors_except(&["the server responded with a status of 401"])
                .await
        },
    )
    .await;
}

/// Waits until the board's row of `agent` shows `text`.
async fn wait_row(sup: &Browser, agent: &str, text: &str) -> Result {
    let what = format!("the board's row of {agent} to show {text:?}");
    wait_until(&what, default_timeout(), || async {
        for row in sup.query("row", None).await? {
            let shown = row.text().await?;
            if shown.contains(agent) && shown.contains(text) {
                return Ok(Some(()));
            }
        }
        Ok(None)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_are_turned_away_from_the_console() {
    run(
        "agents_are_turned_away_from_the_console",
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            login(&agent, "ben", "ben-pass-1").await?;
            if agent.is_present("link", "Console").await? {
                return Err("an agent is shown the Console link".into());
            }
            agent.goto("/console/board").await?;
            agent
                .wait_role_text(
                    "alert",
                    "This console is for supervisors and administrators.",
                )
                .await?;
            agent.click("link", "Go to the agent desktop").await?;
            agent.role("combobox", "Chat channel status").await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}
