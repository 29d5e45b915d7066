//! The desktop at 320 CSS pixels wide (what 400% zoom of a 1280-pixel window leaves, WCAG
//! 1.4.10), with reduced motion and with forced colours, in Chromium: nothing needs a
//! horizontal scroll, nothing moves, and the controls stay there and named.
//!
//! # Layout
//! - `the_desk_reflows_at_320_pixels_without_motion`: in a 320-pixel viewport that prefers
//!   reduced motion, the login page, the desk, the Communication tab with a contact open and a
//!   Chat Interaction view are no wider than the viewport, and no animation runs.
//! - `the_widget_reflows_at_320_pixels`: the demo page and the widget's panel (its own frame)
//!   in the same narrow viewport: the start form, the chat, and the chat with a message.
//! - `forced_colours_keep_every_control`: with `forced-colors: active`, the same chat is
//!   accepted and answered, and axe-core finds nothing on the way.

mod harness;

use harness::{login, run, ApiUser, Browser, Harness, Result, DEMO_AGENTS};
use serde_json::json;

/// The viewport's width, in CSS pixels.
const NARROW: u64 = 320;

/// Fails if the page is wider than the viewport (a horizontal scroll), anything sticks out of
/// it on either side, or an animation runs; names the elements that stick out.
async fn fits(browser: &Browser, screen: &str) -> Result {
    let found = browser
        .client
        .execute(
            r"
            const limit = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')]
              .filter((e) => {
                const r = e.getBoundingClientRect();
                return (r.right > limit + 1 || r.left < -1) && e.getClientRects().length;
              })
              .slice(0, 5)
              .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)} px)`);
            return {
              scroll: document.documentElement.scrollWidth,
              limit,
              wide,
              animations: document.getAnimations().filter((a) => a.playState === 'running').length,
            };
            ",
            vec![],
        )
        .await?;
    let scroll = found["scroll"].as_u64().unwrap_or(u64::MAX);
    let limit = found["limit"].as_u64().unwrap_or(0);
    if scroll > limit || !found["wide"].as_array().is_some_and(Vec::is_empty) {
        return Err(format!(
            "{screen} is {scroll} px wide in a {limit} px viewport; too wide: {}",
            found["wide"]
        )
        .into());
    }
    if found["animations"].as_u64() != Some(0) {
        return Err(format!("{screen} runs animations with reduced motion: {found}").into());
    }
    Ok(())
}

/// A narrow viewport that prefers reduced motion.
async fn narrow(browser: &Browser) -> Result {
    browser
        .cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": NARROW, "height": 640, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await?;
    browser
        .cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-reduced-motion", "value": "reduce" }] }),
        )
        .await?;
    Ok(())
}

/// A visitor writes; Ben (Ready) accepts and answers from the Chat Interaction view.
async fn take_a_chat(h: &Harness, agent: &Browser, visitor_name: &str) -> Result {
    agent.select("Chat channel status", "Ready").await?;
    let visitor = ApiUser::visitor(h, None, visitor_name).await?;
    visitor
        .visitor_says("Is the store in Bergen open on Sunday?")
        .await?;
    agent
        .role("alertdialog", &format!("Chat offer: {visitor_name}"))
        .await?;
    agent.click("button", "Accept").await?;
    agent
        .role("region", &format!("Chat Interaction: {visitor_name}"))
        .await?;
    agent
        .wait_text("log", "Transcript", "store in Bergen")
        .await?;
    agent.fill("Message", "Yes, from 11 to 17.").await?;
    agent.click("button", "Send").await?;
    agent
        .wait_text("log", "Transcript", "from 11 to 17")
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_reflows_at_320_pixels_without_motion() {
    run(
        "the_desk_reflows_at_320_pixels_without_motion",
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            narrow(&agent).await?;
            agent.goto("/").await?;
            agent.role("button", "Log in").await?;
            fits(&agent, "the login page").await?;
            let (user, password) = DEMO_AGENTS[1];
            login(&agent, user, password).await?;
            fits(&agent, "the desk").await?;

            agent.click_containing("tab", "Communication").await?;
            agent.fill("Search contacts", "Maria").await?;
            agent.click_containing("button", "Maria Lopez").await?;
            agent
                .wait_text("log", "Conversation", "waterproofing spray")
                .await?;
            fits(&agent, "the Communication tab with Maria Lopez").await?;

            take_a_chat(&h, &agent, "Nils Narrow").await?;
            fits(&agent, "the Chat Interaction view").await?;
            agent.click("tab", "Contact Information").await?;
            agent.role("tabpanel", "Contact Information").await?;
            fits(&agent, "Contact Information").await?;
            agent
                .assert_accessible("the Chat Interaction view at 320 px")
                .await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_reflows_at_320_pixels() {
    run(
        "the_widget_reflows_at_320_pixels",
        |h: Harness| async move {
            let visitor = h.browser("visitor").await?;
            narrow(&visitor).await?;
            visitor.goto("/demo").await?;
            fits(&visitor, "the demo page").await?;
            visitor.open_widget().await?;
            fits(&visitor, "the widget's start form").await?;
            visitor.fill("Name", "Rita Reflow").await?;
            visitor.click("button", "Start chat").await?;
            visitor.role("textbox", "Message").await?;
            fits(&visitor, "the widget's chat panel").await?;
            visitor
                .fill("Message", "Do you repair zips on old jackets?")
                .await?;
            visitor.click("button", "Send").await?;
            visitor.wait_text("log", "Messages", "repair zips").await?;
            fits(&visitor, "the widget with a message").await?;
            visitor.leave_widget().await?;
            fits(&visitor, "the demo page with the panel open").await?;
            // The panel lives in the launcher's closed shadow root, out of the page's reach.
            let (left, _, width, _) = visitor.widget_panel_rect().await?;
            let inner = visitor
                .client
                .execute("return document.documentElement.clientWidth;", vec![])
                .await?
                .as_f64()
                .unwrap_or(0.0);
            assert!(
                left >= 0.0 && left + width <= inner + 1.0,
                "the open panel is {width} px wide at {left} in a {inner} px viewport"
            );
            visitor.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_colours_keep_every_control() {
    run(
        "forced_colours_keep_every_control",
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            agent
                .cdp(
                    "Emulation.setEmulatedMedia",
                    json!({ "features": [{ "name": "forced-colors", "value": "active" }] }),
                )
                .await?;
            let (user, password) = DEMO_AGENTS[1];
            login(&agent, user, password).await?;
            agent
                .assert_accessible("the desk in forced colours")
                .await?;
            take_a_chat(&h, &agent, "Fiona Forced").await?;
            agent
                .assert_accessible("the Chat Interaction view in forced colours")
                .await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}
