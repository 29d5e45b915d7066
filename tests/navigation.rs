//! Real URLs in the agent desktop, in Chromium: every place an agent can be has one, the URL
//! follows the clicks, a reload keeps the place, Back and Forward move between places, and a
//! deep link opened while logged out lands there after login.
//!
//! # Layout
//! - `reload_on_every_url_keeps_the_place`: the desk, an interaction and each of its side
//!   panels, the Communication tab, a contact in it, its `Public` view: each reached by clicks
//!   (the URL follows), then reloaded (the place stays).
//! - `back_and_forward_between_two_interactions`: two open chats; Back and Forward switch
//!   between their views.
//! - `deep_link_while_logged_out_lands_there_after_login`: a link to an interaction's Contact
//!   History, and one to a contact in the Communication tab, opened in a fresh browser: login
//!   first, then that place.
//! - `mark_done_then_a_contact_in_communication`: `Mark Done`, then the Communication tab opens
//!   a contact right away (where the desktop used to trap), three times in a row.
//! - `a_url_leading_nowhere_says_so`: an unknown path and someone else's interaction.

mod harness;

use harness::{login, run, wait_until, ApiUser, Browser, Harness, Result, DEMO_AGENTS};
use std::time::Duration;

/// How long a URL may take to follow a click.
fn soon() -> Duration {
    harness::default_timeout()
}

/// The path and query of the page shown.
async fn location(browser: &Browser) -> Result<String> {
    let url = browser.client.current_url().await?;
    Ok(match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    })
}

/// Waits until the page's URL is `expected` (path and query).
async fn wait_location(browser: &Browser, expected: &str) -> Result {
    wait_until(&format!("the URL {expected}"), soon(), || async {
        let now = location(browser).await?;
        Ok((now == expected).then_some(()))
    })
    .await
}

/// Waits until the control `roles`/`name` has `attr` = `value`.
async fn wait_attr(browser: &Browser, roles: &str, name: &str, attr: &str, value: &str) -> Result {
    let what = format!("{roles} {name:?} with {attr}={value}");
    wait_until(&what, soon(), || async {
        let el = browser.role(roles, name).await?;
        Ok((el.attr(attr).await?.as_deref() == Some(value)).then_some(()))
    })
    .await
}

/// A new anonymous visitor named `name` writes; demo agent `agent` (Ready) accepts over the
/// API. Returns the interaction's and the contact's ids.
async fn chat_accepted(h: &Harness, agent: &ApiUser, name: &str) -> Result<(i64, i64)> {
    let visitor = ApiUser::visitor(h, None, name).await?;
    visitor
        .visitor_says(&format!("Hello, this is {name}"))
        .await?;
    let interaction = agent.accept_next_offer().await?;
    let id = interaction["id"].as_i64().ok_or("no interaction id")?;
    let contact = interaction["contact_id"].as_i64().ok_or("no contact id")?;
    Ok((id, contact))
}

/// Ann, logged in in a browser and Ready, and her API session.
async fn ann(h: &Harness) -> Result<(Browser, ApiUser)> {
    let (user, password) = DEMO_AGENTS[0];
    let browser = h.browser("agent").await?;
    login(&browser, user, password).await?;
    let api = ApiUser::agent(h, user, password).await?;
    api.ready().await?;
    Ok((browser, api))
}

/// Reloads, then waits for the desktop to be back (logged in again from the kept session).
async fn reload(browser: &Browser) -> Result {
    browser.reload().await?;
    browser
        .role(harness::CHANNEL_STATUS_ROLES, "Chat channel status")
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_on_every_url_keeps_the_place() {
    run(
        "reload_on_every_url_keeps_the_place",
        |h: Harness| async move {
            let (agent, api) = ann(&h).await?;
            // The desk, at `/`.
            agent.wait_role_text("status", "You are Ready").await?;
            wait_location(&agent, "/").await?;
            reload(&agent).await?;
            agent.wait_role_text("status", "You are Ready").await?;

            let (id, contact) = chat_accepted(&h, &api, "Rita Reload").await?;
            agent.click_containing("tab", "Rita Reload").await?;
            wait_location(&agent, &format!("/interactions/{id}")).await?;
            reload(&agent).await?;
            agent
                .role("region", "Chat Interaction: Rita Reload")
                .await?;
            wait_attr(&agent, "tab", "Conversation", "aria-selected", "true").await?;

            // Each side panel.
            for (tab, slug) in [
                ("Contact Information", "contact-information"),
                ("Contact History", "history"),
                ("Standard Responses", "responses"),
                ("Conversation", "conversation"),
            ] {
                agent.click("tab", tab).await?;
                let url = if slug == "conversation" {
                    format!("/interactions/{id}")
                } else {
                    format!("/interactions/{id}/{slug}")
                };
                wait_location(&agent, &url).await?;
                reload(&agent).await?;
                agent
                    .role("region", "Chat Interaction: Rita Reload")
                    .await?;
                wait_attr(&agent, "tab", tab, "aria-selected", "true").await?;
                if slug == "conversation" {
                    agent
                        .wait_text("log", "Conversation", "Hello, this is Rita Reload")
                        .await?;
                } else {
                    agent.role("heading", tab).await?;
                }
            }
            // The long spelling of the Conversation tab's URL works too.
            agent
                .goto(&format!("/interactions/{id}/conversation"))
                .await?;
            agent
                .role("region", "Chat Interaction: Rita Reload")
                .await?;
            wait_attr(&agent, "tab", "Conversation", "aria-selected", "true").await?;

            // The Communication tab, a contact in it, and its Public view.
            agent.click_containing("tab", "Communication").await?;
            wait_location(&agent, "/communication").await?;
            reload(&agent).await?;
            agent.role("region", "Communication").await?;
            agent.fill("Search contacts", "Rita").await?;
            agent.click_containing("button", "Rita Reload").await?;
            wait_location(&agent, &format!("/communication/{contact}")).await?;
            reload(&agent).await?;
            agent.role("region", "Communication").await?;
            agent.role("heading", "Rita Reload").await?;
            agent
                .wait_text("log", "Conversation", "Hello, this is Rita Reload")
                .await?;
            wait_attr(&agent, "button", "Private", "aria-pressed", "true").await?;
            agent.click("button", "Public").await?;
            wait_location(&agent, &format!("/communication/{contact}?view=public")).await?;
            reload(&agent).await?;
            agent.role("region", "Communication").await?;
            wait_attr(&agent, "button", "Public", "aria-pressed", "true").await?;
            agent.role("heading", "Rita Reload").await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_and_forward_between_two_interactions() {
    run(
        "back_and_forward_between_two_interactions",
        |h: Harness| async move {
            let (agent, api) = ann(&h).await?;
            let (first, _) = chat_accepted(&h, &api, "Bea Back").await?;
            let (second, _) = chat_accepted(&h, &api, "Finn Forward").await?;
            agent.click_containing("tab", "Bea Back").await?;
            agent.role("region", "Chat Interaction: Bea Back").await?;
            agent.click_containing("tab", "Finn Forward").await?;
            agent
                .role("region", "Chat Interaction: Finn Forward")
                .await?;
            wait_location(&agent, &format!("/interactions/{second}")).await?;

            agent.client.back().await?;
            wait_location(&agent, &format!("/interactions/{first}")).await?;
            agent.role("region", "Chat Interaction: Bea Back").await?;
            agent
                .wait_gone("region", "Chat Interaction: Finn Forward")
                .await?;

            agent.client.forward().await?;
            wait_location(&agent, &format!("/interactions/{second}")).await?;
            agent
                .role("region", "Chat Interaction: Finn Forward")
                .await?;
            agent
                .wait_gone("region", "Chat Interaction: Bea Back")
                .await?;

            // Back again, then a side panel: Back returns to the Conversation tab.
            agent.client.back().await?;
            agent.role("region", "Chat Interaction: Bea Back").await?;
            agent.click("tab", "Contact History").await?;
            wait_location(&agent, &format!("/interactions/{first}/history")).await?;
            agent.client.back().await?;
            wait_location(&agent, &format!("/interactions/{first}")).await?;
            wait_attr(&agent, "tab", "Conversation", "aria-selected", "true").await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_link_while_logged_out_lands_there_after_login() {
    run(
        "deep_link_while_logged_out_lands_there_after_login",
        |h: Harness| async move {
            let (user, password) = DEMO_AGENTS[0];
            let api = ApiUser::agent(&h, user, password).await?;
            api.ready().await?;
            let (id, _) = chat_accepted(&h, &api, "Dora Deep").await?;
            let maria = api.contact_id("Maria Lopez").await?;

            let agent = h.browser("agent").await?;
            let link = format!("/interactions/{id}/history");
            agent.goto(&link).await?;
            agent.fill("Username", user).await?;
            agent.fill("Password", password).await?;
            agent.click("button", "Log in").await?;
            agent.role("region", "Chat Interaction: Dora Deep").await?;
            wait_attr(&agent, "tab", "Contact History", "aria-selected", "true").await?;
            agent.role("heading", "Contact History").await?;
            wait_location(&agent, &link).await?;

            // A second browser, a link into the Communication tab.
            let other = h.browser("other").await?;
            let link = format!("/communication/{maria}");
            other.goto(&link).await?;
            other.fill("Username", user).await?;
            other.fill("Password", password).await?;
            other.click("button", "Log in").await?;
            other.role("region", "Communication").await?;
            other.role("heading", "Maria Lopez").await?;
            other
                .wait_text("log", "Conversation", "waterproofing spray")
                .await?;
            wait_location(&other, &link).await?;
            agent.assert_no_console_errors().await?;
            other.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_done_then_a_contact_in_communication() {
    run(
        "mark_done_then_a_contact_in_communication",
        |h: Harness| async move {
            let (agent, api) = ann(&h).await?;
            for name in ["Mona One", "Mona Two", "Mona Three"] {
                chat_accepted(&h, &api, name).await?;
                agent.click_containing("tab", name).await?;
                agent
                    .role("region", &format!("Chat Interaction: {name}"))
                    .await?;
                agent.click("button", "End chat").await?;
                agent.select("Disposition", "Resolved").await?;
                agent.click("button", "Mark Done").await?;
                agent
                    .wait_gone("region", &format!("Chat Interaction: {name}"))
                    .await?;
                // Right away: the Communication tab, that contact.
                agent.click_containing("tab", "Communication").await?;
                agent.fill("Search contacts", name).await?;
                agent.click_containing("button", name).await?;
                agent.role("heading", name).await?;
                agent
                    .wait_text("log", "Conversation", &format!("Hello, this is {name}"))
                    .await?;
            }
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_leading_nowhere_says_so() {
    run("a_url_leading_nowhere_says_so", |h: Harness| async move {
        // Ben's chat, which Ann may not see.
        let (ben_login, ben_password) = DEMO_AGENTS[1];
        let ben = ApiUser::agent(&h, ben_login, ben_password).await?;
        ben.ready().await?;
        let (bens, _) = chat_accepted(&h, &ben, "Otto Other").await?;

        let (agent, _api) = ann(&h).await?;
        agent.goto("/no/such/place").await?;
        agent
            .wait_role_text("alert", "There is nothing at this address")
            .await?;
        agent.goto(&format!("/interactions/{bens}")).await?;
        agent
            .wait_role_text("status", "This interaction is no longer open.")
            .await?;
        agent.assert_no_console_errors().await
    })
    .await;
}
