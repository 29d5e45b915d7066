//! Accounts in the console, end to end: an administrator makes an agent who then works.
//!
//! # Layout
//! - `administrator_creates_an_agent_who_gets_an_offer`: Ada (administrator) opens the console's
//!   `Agents` page and creates Nina Novak (login `nina`) with the `New agent` form; the table
//!   lists her as an active agent. Nina logs in to the agent desktop in another browser and goes
//!   Ready (no demo agent is Ready, so the chat is hers); a visitor starts a chat in the widget;
//!   Nina gets the offer and accepts it. Ada's `Audit log`, filtered by the `agent.create`
//!   action, shows the creation of `nina` by `ada`. A second account with the same login is
//!   refused, and so is deactivating the last administrator: the server's words are shown as
//!   alerts. Last, Ada sets Web Chat's offer
//!   timeout on the `Channels` page and finds that change in the audit log too.

mod harness;

use harness::{login, run, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrator_creates_an_agent_who_gets_an_offer() {
    run(
        "administrator_creates_an_agent_who_gets_an_offer",
        |h: Harness| async move {
            let ada = h.browser("ada").await?;
            login(&ada, "ada", "ada-pass-1").await?;
            ada.click("link", "Console").await?;
            ada.click("link", "Agents").await?;
            ada.role("heading", "Agents").await?;
            ada.wait_text("table", "Accounts", "Ann Archer").await?;

            ada.fill("Name", "Nina Novak").await?;
            ada.fill("Login", "nina").await?;
            ada.fill("Password", "nina-pass-1").await?;
            ada.select("Role", "Agent").await?;
            ada.fill("Max chats", "2").await?;
            ada.click("button", "Create agent").await?;
            ada.wait_role_text("status", "Nina Novak can now log in.")
                .await?;
            let table = ada.wait_text("table", "Accounts", "Nina Novak").await?;
            let row = table
                .lines()
                .find(|l| l.contains("Nina Novak"))
                .unwrap_or_default()
                .to_owned();
            for part in ["nina", "Agent", "2", "Active"] {
                if !row.contains(part) {
                    return Err(format!("Nina's row lacks {part:?}: {row}").into());
                }
            }

            // The same login again: the server's refusal is shown.
            ada.fill("Name", "Nina Again").await?;
            ada.fill("Login", "nina").await?;
            ada.fill("Password", "nina-pass-2").await?;
            ada.click("button", "Create agent").await?;
            ada.wait_role_text("alert", "already exists").await?;

            // Deactivating the only administrator is refused: the dialog says why and stays.
            ada.click("button", "Deactivate Ada Alvarez").await?;
            ada.role("dialog", "Deactivate Ada Alvarez?").await?;
            ada.click("button", "Deactivate").await?;
            ada.wait_role_text("alert", "last active administrator")
                .await?;
            ada.click("button", "Cancel").await?;
            ada.wait_gone("dialog", "Deactivate Ada Alvarez?").await?;

            // Nina works: she logs in, goes Ready and takes a visitor's chat.
            let nina = h.browser("nina").await?;
            login(&nina, "nina", "nina-pass-1").await?;
            nina.select("Chat channel status", "Ready").await?;
            let visitor = h.browser("visitor").await?;
            visitor.goto("/demo").await?;
            visitor.open_widget().await?;
            visitor.fill("Name", "Vera Visitor").await?;
            visitor.click("button", "Start chat").await?;
            visitor.fill("Message", "Hello, is anyone there?").await?;
            visitor.click("button", "Send").await?;
            nina.role("alertdialog", "Chat offer: Vera Visitor").await?;
            nina.click("button", "Accept").await?;
            nina.role("region", "Chat Interaction: Vera Visitor")
                .await?;
            nina.wait_text("log", "Transcript", "Hello, is anyone there?")
                .await?;

            // The creation is in the audit log.
            ada.click("link", "Audit log").await?;
            ada.role("heading", "Audit log").await?;
            ada.fill("Action", "agent.create").await?;
            ada.click("button", "Filter").await?;
            let log = ada.wait_text("table", "Audit log", "login: nina").await?;
            if !log.contains("ada") || !log.contains("Agent created") {
                return Err(format!("the audit log lacks who or what: {log}").into());
            }
            if log.contains("agent.deactivate") {
                return Err(format!("the filter let another action through: {log}").into());
            }

            // Web Chat's offer timeout, changed on the Channels page, is audited too.
            ada.click("link", "Channels").await?;
            ada.role("heading", "Channels").await?;
            ada.fill("Web Chat offer timeout (seconds)", "20").await?;
            ada.click("button", "Save Web Chat").await?;
            ada.wait_role_text("status", "Web Chat saved.").await?;
            ada.click("link", "Audit log").await?;
            ada.fill("Action", "channel.update").await?;
            ada.click("button", "Filter").await?;
            ada.wait_text("table", "Audit log", "offer_timeout_secs: 20")
                .await?;
            ada.assert_no_console_errors_except(&["409"]).await?;
            nina.assert_no_console_errors().await
        },
    )
    .await;
}
