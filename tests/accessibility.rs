//! axe-core (WCAG 2.0 and 2.1, A and AA) over every screen of the product, walked in one run:
//! a violation fails with its rule, elements and help text. Every other browser test also
//! checks the screen it ends on (`Browser::assert_no_console_errors`).
//!
//! # Layout
//! - `every_screen_passes_axe`: the login page; Ann's desk; the Communication tab, Private and
//!   Public, with a contact open; the demo page, the widget's start form and its chat; the offer
//!   toast; the Chat Interaction view with each side tab; then the console as Ada
//!   (administrator): the board, reports, each administration page, agents, audit, channels.

mod harness;

use harness::{identity_for, login, run, Harness, DEMO_AGENTS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_passes_axe() {
    run("every_screen_passes_axe", |h: Harness| async move {
        let agent = h.browser("agent").await?;
        agent.goto("/").await?;
        agent.role("button", "Log in").await?;
        agent.assert_accessible("the login page").await?;
        let (user, password) = DEMO_AGENTS[1];
        login(&agent, user, password).await?;
        agent.assert_accessible("the desk").await?;

        agent.click_containing("tab", "Communication").await?;
        agent.role("region", "Communication").await?;
        agent.assert_accessible("the Communication tab").await?;
        agent.fill("Search contacts", "Noah").await?;
        agent.click_containing("button", "Noah Williams").await?;
        agent
            .wait_text("log", "Conversation", "rain jacket in XXL")
            .await?;
        agent
            .assert_accessible("a contact in the Communication tab (Private)")
            .await?;
        agent.click("button", "Public").await?;
        agent
            .wait_text("log", "Conversation", "best rain jacket I ever owned")
            .await?;
        agent
            .assert_accessible("a contact in the Communication tab (Public)")
            .await?;
        agent.select("Chat channel status", "Ready").await?;

        let visitor = h.browser("visitor").await?;
        visitor.goto("/demo").await?;
        visitor.identify(&identity_for("cust-1001")).await?;
        visitor.assert_accessible("the demo page").await?;
        visitor.open_widget().await?;
        visitor.assert_accessible("the widget's chat panel").await?;
        visitor
            .fill("Message", "Do the Fjell boots come in 47?")
            .await?;
        visitor.click("button", "Send").await?;
        visitor
            .wait_text("log", "Messages", "Fjell boots come in 47")
            .await?;
        visitor.assert_accessible("the widget's chat").await?;

        agent.role("alertdialog", "Chat offer: Maria Lopez").await?;
        agent.assert_accessible("the offer").await?;
        agent.click("button", "Accept").await?;
        agent
            .wait_text("log", "Transcript", "Fjell boots come in 47")
            .await?;
        for panel in [
            "Conversation",
            "Contact Information",
            "Contact History",
            "Standard Responses",
        ] {
            agent.click("tab", panel).await?;
            agent.role("tabpanel", panel).await?;
            agent
                .assert_accessible(&format!("the Chat Interaction view, {panel}"))
                .await?;
        }

        let admin = h.browser("administrator").await?;
        login(&admin, "ada", "ada-pass-1").await?;
        for (path, heading) in [
            ("/console/board", "Agents"),
            ("/console/reports", "Reports"),
            ("/console/admin/responses", "Standard Responses"),
            ("/console/admin/dispositions", "Disposition codes"),
            ("/console/admin/not-ready-reasons", "Not Ready reasons"),
            ("/console/agents", "Agents"),
            ("/console/audit", "Audit"),
            ("/console/channels", "Channels"),
            ("/console/contacts", "Contact data"),
        ] {
            admin.goto(path).await?;
            admin.role_containing("heading", heading).await?;
            admin.assert_accessible(path).await?;
        }
        agent.assert_no_console_errors().await?;
        visitor.assert_no_console_errors().await?;
        admin.assert_no_console_errors().await
    })
    .await;
}
