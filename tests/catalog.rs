//! Catalog administration in Chromium: the console's `Administration` pages, and agents getting
//! what administrators changed.
//!
//! # Layout
//! - `administrator_edits_a_response_that_an_agent_inserts`: Ada (administrator) opens the
//!   console's `Administration`, is refused a response with an unknown field code (alert
//!   naming it), writes one with `{contact.first_name}` and `{agent.name}`, sees the `Preview`
//!   filled from the sample contact and her name, and saves; on `Disposition codes` she adds a
//!   code and retires it. Rosa starts a chat in the widget; Ann accepts it, finds the response
//!   with `Search responses`, inserts it, and the message box holds it with Rosa's first name
//!   and Ann's name filled in.
//! - `administration_is_for_administrators`: Ann (agent) is turned away from the
//!   Administration pages; Sam (supervisor) gets no `Administration` link and the pages
//!   refuse him.

mod harness;

use harness::{default_timeout, login, run, wait_until, Harness};

const TITLE: &str = "Delivery follow-up";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrator_edits_a_response_that_an_agent_inserts() {
    run(
        "administrator_edits_a_response_that_an_agent_inserts",
        |h: Harness| async move {
            let admin = h.browser("administrator").await?;
            login(&admin, "ada", "ada-pass-1").await?;
            admin.goto("/console/").await?;
            admin.click("link", "Administration").await?;
            admin.role("heading", "Standard Responses").await?;
            admin.wait_text("region", "Responses", "Goodbye").await?;

            // The seeded response is found by search.
            admin.fill("Search responses", "great day").await?;
            admin.role("button", "Goodbye").await?;
            admin.wait_gone("button", "Sizing help").await?;

            admin.click("button", "New response").await?;
            admin.role("form", "New response").await?;
            admin.fill("Title", TITLE).await?;
            admin.select("Category", "Closing").await?;
            admin
                .fill("Text", "Hi {contact.nickname}, your parcel left today.")
                .await?;
            admin.click("button", "Save").await?;
            admin.wait_role_text("alert", "{contact.nickname}").await?;
            admin
                .fill(
                    "Text",
                    "Hi {contact.first_name}, {agent.name} here: your parcel left today.",
                )
                .await?;
            admin
                .wait_text(
                    "region",
                    "Preview",
                    "Hi Maria, Ada Alvarez here: your parcel left today.",
                )
                .await?;
            admin.click("button", "Save").await?;
            admin.wait_role_text("status", "Saved.").await?;
            admin.role("form", "Edit response").await?;
            admin.fill("Search responses", "parcel left").await?;
            admin.role("button", TITLE).await?;

            // Disposition codes: add one, retire it.
            admin.click("link", "Disposition codes").await?;
            admin.role("heading", "Disposition codes").await?;
            admin.role("textbox", "Label of resolved").await?;
            admin.fill("Code", "warranty").await?;
            admin.fill("Label", "Warranty claim").await?;
            admin.click("button", "Add").await?;
            admin
                .wait_text("list", "Disposition codes", "warranty")
                .await?;
            admin.click("button", "Retire Warranty claim").await?;
            admin.role("button", "Restore Warranty claim").await?;
            admin.wait_role_text("status", "Retired.").await?;
            // A code already there is refused, visibly.
            admin.fill("Code", "warranty").await?;
            admin.fill("Label", "Another").await?;
            admin.click("button", "Add").await?;
            admin.wait_role_text("alert", "already exists").await?;
            admin
                .assert_no_console_errors_except(&["status of 400", "status of 409"])
                .await?;

            // A visitor writes; Ann accepts and inserts the response.
            let visitor = h.browser("visitor").await?;
            visitor.goto("/demo").await?;
            visitor.open_widget().await?;
            visitor.fill("Name", "Rosa Rivera").await?;
            visitor.click("button", "Start chat").await?;
            visitor.fill("Message", "Has my parcel left yet?").await?;
            visitor.click("button", "Send").await?;
            visitor
                .wait_text("log", "Messages", "Has my parcel left yet?")
                .await?;

            let agent = h.browser("agent").await?;
            login(&agent, "ann", "ann-pass-1").await?;
            agent.select("Chat channel status", "Ready").await?;
            agent.click("button", "Accept").await?;
            agent
                .role("region", "Chat Interaction: Rosa Rivera")
                .await?;
            agent.click("tab", "Standard Responses").await?;
            agent
                .wait_text("tabpanel", "Standard Responses", TITLE)
                .await?;
            agent.fill("Search responses", "parcel left").await?;
            agent.wait_gone("button", "Insert Goodbye").await?;
            agent.click("button", &format!("Insert {TITLE}")).await?;
            let expected = "Hi Rosa, Ann Archer here: your parcel left today.";
            wait_until(
                "the filled response in the message box",
                default_timeout(),
                || async {
                    let value = agent
                        .role("textbox", "Message")
                        .await?
                        .prop("value")
                        .await?;
                    Ok(value.filter(|v| v.contains(expected)))
                },
            )
            .await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_is_for_administrators() {
    run(
        "administration_is_for_administrators",
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            login(&agent, "ann", "ann-pass-1").await?;
            agent.goto("/console/admin/responses").await?;
            agent
                .wait_role_text(
                    "alert",
                    "This console is for supervisors and administrators.",
                )
                .await?;
            if agent.is_present("heading", "Standard Responses").await? {
                return Err("an agent is shown the Standard Responses administration".into());
            }
            agent.assert_no_console_errors().await?;

            let sup = h.browser("supervisor").await?;
            login(&sup, "sam", "sam-pass-1").await?;
            sup.click("link", "Console").await?;
            sup.role("heading", "Board").await?;
            if sup.is_present("link", "Administration").await? {
                return Err("a supervisor is shown the Administration link".into());
            }
            sup.goto("/console/admin/dispositions").await?;
            sup.wait_role_text("alert", "These pages are for administrators.")
                .await?;
            if sup.is_present("heading", "Disposition codes").await? {
                return Err("a supervisor is shown the Disposition codes page".into());
            }
            sup.assert_no_console_errors().await
        },
    )
    .await;
}
