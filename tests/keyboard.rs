//! The agent's whole day with the keyboard alone, in Chromium: this test never clicks for the
//! agent. Every control is reached with Tab (`Browser::tab_to` fails when 80 presses never
//! reach it) and worked with Enter, letters or arrows.
//!
//! # Layout
//! - `an_agent_works_a_chat_without_the_mouse`: Ben logs in (Username, Tab, Password, Enter),
//!   goes Ready from the status select by typing, accepts the offer with Alt+A (the Message
//!   field takes the focus), answers with Enter; the customer's next message is in the
//!   Transcript, whose node in the accessibility tree is a polite live region, so a screen
//!   reader announces it; then `End chat`, a disposition typed into its select, and
//!   `Mark Done` with Enter: the interaction leaves the Interactions list.

mod harness;

use fantoccini::key::Key;
use harness::{default_timeout, wait_until, ApiUser, Browser, Harness, Result, DEMO_AGENTS};
use serde_json::{json, Value};

/// Whether the accessibility tree has a node with role `role`, named `name`, that is a live
/// region (`live` is `polite` or `assertive`) and whose text includes `text`.
async fn live_region_holds(agent: &Browser, role: &str, name: &str, text: &str) -> Result<bool> {
    let tree = agent.cdp("Accessibility.getFullAXTree", json!({})).await?;
    let nodes = tree["nodes"].as_array().cloned().unwrap_or_default();
    let value = |n: &Value, key: &str| n[key]["value"].as_str().map(str::to_owned);
    let Some(region) = nodes.iter().find(|n| {
        value(n, "role").as_deref() == Some(role) && value(n, "name").as_deref() == Some(name)
    }) else {
        return Ok(false);
    };
    let live = region["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| {
            p["name"] == "live"
                && matches!(p["value"]["value"].as_str(), Some("polite" | "assertive"))
        });
    if !live {
        return Err(format!("the {role} {name:?} is not a live region: {region}").into());
    }
    // The region's text, as the DOM node behind it has it.
    let Some(node) = region["backendDOMNodeId"].as_i64() else {
        return Ok(false);
    };
    let resolved = agent
        .cdp("DOM.resolveNode", json!({ "backendNodeId": node }))
        .await?;
    let object = resolved["object"]["objectId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let inner = agent
        .cdp(
            "Runtime.callFunctionOn",
            json!({ "objectId": object, "functionDeclaration": "function () { return this.textContent; }", "returnByValue": true }),
        )
        .await?;
    Ok(inner["result"]["value"]
        .as_str()
        .unwrap_or("")
        .contains(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_works_a_chat_without_the_mouse() {
    harness::run(
        "an_agent_works_a_chat_without_the_mouse",
        |h: Harness| async move {
            let tab = Key::Tab.to_string();
            let enter = Key::Enter.to_string();
            let agent = h.browser("agent").await?;
            agent.goto("/").await?;
            let (user, password) = DEMO_AGENTS[1];
            agent.tab_to("textbox", "Username").await?;
            agent.press(user).await?;
            agent.press(&tab).await?;
            agent.wait_focused("textbox", "Password").await?;
            agent.press(password).await?;
            agent.press(&enter).await?;

            agent.tab_to("combobox", "Chat channel status").await?;
            agent.press("Ready").await?;
            wait_until("Ben to be Ready", default_timeout(), || async {
                let status = agent.role("combobox", "Chat channel status").await?;
                let value = status.prop("value").await?.unwrap_or_default();
                Ok((value == "ready").then_some(()))
            })
            .await?;

            let visitor = ApiUser::visitor(&h, None, "Kai Keys").await?;
            visitor
                .visitor_says("Can I change the colour of my order?")
                .await?;
            agent.role("alertdialog", "Chat offer: Kai Keys").await?;
            agent.press_alt('a').await?;
            agent.role("region", "Chat Interaction: Kai Keys").await?;
            agent.wait_focused("textbox", "Message").await?;
            agent.press("Yes: which colour would you like?").await?;
            agent.press(&enter).await?;
            agent
                .wait_text("log", "Transcript", "which colour would you like")
                .await?;

            visitor.visitor_says("The dark green one, please").await?;
            agent
                .wait_text("log", "Transcript", "The dark green one")
                .await?;
            wait_until("the answer in a live region", default_timeout(), || async {
                Ok(
                    live_region_holds(&agent, "log", "Transcript", "The dark green one")
                        .await?
                        .then_some(()),
                )
            })
            .await?;

            agent.tab_to("button", "End chat").await?;
            agent.press(&enter).await?;
            agent.tab_to("combobox", "Disposition").await?;
            agent.press("Resolved").await?;
            agent.tab_to("button", "Mark Done").await?;
            agent.press(&enter).await?;
            wait_until(
                "the chat to leave the Interactions list",
                default_timeout(),
                || async {
                    let nav = agent.text_of("navigation", "Main navigation").await?;
                    Ok((!nav.contains("Kai Keys")).then_some(()))
                },
            )
            .await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}
