//! Offers and contact-responded notifications while the desktop is in the background, and the
//! keyboard, in Chromium.
//!
//! # Layout
//! - `offer_in_the_background_rings_notifies_and_accepts_with_the_keyboard`: ann is Ready on
//!   the Communication tab, then opens another browser tab (the desktop is now hidden). A new
//!   visitor writes: the desktop shows a browser notification (permission granted through the
//!   DevTools protocol) and plays the offer sound, and the visitor appears in the Contacts list
//!   without a reload. Back on the desktop, Alt+A accepts; the Message field has the focus;
//!   the arrow keys move between the side panels.
//! - `contact_responded_in_the_background_notifies`: ann writes to Maria Lopez from the
//!   Communication tab and goes to another tab; Maria answers; the desktop shows a browser
//!   notification naming her, and the `Contact responded` notification waits with `Show`.
//!
//! The browser notifications are observed with a script the page gets before its own
//! ([`NOTIFICATION_SPY_JS`]): it lets every `new Notification(...)` through to Chromium and also
//! writes its title and body to `localStorage`, which the other tab (same origin) can read.

mod harness;

use harness::{
    default_timeout, identity_for, login, run, wait_until, ApiUser, Browser, Harness, Result,
    DEMO_AGENTS,
};
use serde_json::{json, Value};

/// Records each browser notification the page shows, then shows it as usual.
const NOTIFICATION_SPY_JS: &str = r"
(() => {
  const Real = window.Notification;
  if (!Real) return;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      const key = 'e2e.notifications';
      const list = JSON.parse(localStorage.getItem(key) || '[]');
      list.push({ title, body: (options && options.body) || '', hidden: document.hidden });
      localStorage.setItem(key, JSON.stringify(list));
    }
  }
  window.Notification = Recorded;
})();
";

/// Grants the server's origin the notifications permission and records what the desktop shows
/// (call before the desktop loads).
async fn allow_notifications(h: &Harness, agent: &Browser) -> Result {
    agent
        .cdp(
            "Browser.grantPermissions",
            json!({ "permissions": ["notifications"], "origin": h.base_url() }),
        )
        .await?;
    agent
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": NOTIFICATION_SPY_JS }),
        )
        .await?;
    Ok(())
}

/// Opens a second tab on the same origin and switches to it: the desktop's tab is hidden.
/// Returns the desktop tab's handle.
async fn go_to_another_tab(agent: &Browser) -> Result<fantoccini::wd::WindowHandle> {
    let desktop = agent.client.window().await?;
    let other = agent.client.new_window(true).await?;
    agent.client.switch_to_window(other.handle).await?;
    agent.goto("/api/openapi.json").await?;
    Ok(desktop)
}

/// Waits (from the other tab) until the desktop has shown a notification titled `title`;
/// returns it.
async fn wait_notification(agent: &Browser, title: &str) -> Result<Value> {
    let what = format!("a browser notification {title:?}");
    wait_until(&what, default_timeout(), || async {
        let list = agent
            .client
            .execute(
                "return JSON.parse(localStorage.getItem('e2e.notifications') || '[]');",
                vec![],
            )
            .await?;
        Ok(list
            .as_array()
            .and_then(|l| l.iter().find(|n| n["title"] == title).cloned()))
    })
    .await
}

/// Opens a browser for ann with notifications allowed (and recorded), logs her in and opens
/// the Communication tab.
async fn ann_on_communication(h: &Harness) -> Result<Browser> {
    let agent = h.browser("ann").await?;
    allow_notifications(h, &agent).await?;
    let (user, password) = DEMO_AGENTS[0];
    login(&agent, user, password).await?;
    agent.click_containing("tab", "Communication").await?;
    agent.role("list", "Contacts").await?;
    Ok(agent)
}

/// Closes the other tab and goes back to the desktop's (it is shown again).
async fn back_to_the_desktop(agent: &Browser, desktop: fantoccini::wd::WindowHandle) -> Result {
    agent.client.close_window().await?;
    agent.client.switch_to_window(desktop).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offer_in_the_background_rings_notifies_and_accepts_with_the_keyboard() {
    run(
        "offer_in_the_background_rings_notifies_and_accepts_with_the_keyboard",
        |h: Harness| async move {
            let agent = ann_on_communication(&h).await?;
            agent.select("Chat channel status", "Ready").await?;
            if agent.text_of("list", "Contacts").await?.contains("Vera Novak") {
                return Err("Vera Novak is in the Contacts list before she wrote".into());
            }

            let desktop = go_to_another_tab(&agent).await?;
            let visitor = ApiUser::visitor(&h, None, "Vera Novak").await?;
            visitor.visitor_says("Do you ship to Iceland?").await?;
            let shown = wait_notification(&agent, "Chat offer: Vera Novak").await?;
            if shown["body"] != "Do you ship to Iceland?" || shown["hidden"] != true {
                return Err(format!("unexpected notification: {shown}").into());
            }

            back_to_the_desktop(&agent, desktop).await?;
            agent.role("alertdialog", "Chat offer: Vera Novak").await?;
            wait_until("the offer sound to play", default_timeout(), || async {
                let played = agent
                    .client
                    .execute(
                        "const a = document.getElementById('offer-sound'); return !!a && a.played.length > 0;",
                        vec![],
                    )
                    .await?;
                Ok(played.as_bool().unwrap_or(false).then_some(()))
            })
            .await?;
            // The new contact is in the list, which was loaded before she existed.
            agent.wait_text("list", "Contacts", "Vera Novak").await?;

            // The keyboard: Alt+A accepts; the Message field takes the focus.
            agent.press_alt('a').await?;
            agent
                .role("region", "Chat Interaction: Vera Novak")
                .await?;
            agent.wait_focused("textbox", "Message").await?;
            agent.fill("Message", "Yes, we do: 5 to 7 days").await?;
            agent.press("\u{E007}").await?;
            agent
                .wait_text("log", "Transcript", "Yes, we do: 5 to 7 days")
                .await?;

            // The side panels are tabs: arrows move, the panel follows.
            agent.click("tab", "Conversation").await?;
            agent.wait_focused("tab", "Conversation").await?;
            agent.press("\u{E014}").await?; // ArrowRight
            agent.wait_focused("tab", "Contact Information").await?;
            agent.role("tabpanel", "Contact Information").await?;
            agent.press("\u{E010}").await?; // End
            agent.wait_focused("tab", "Standard Responses").await?;
            agent.role("tabpanel", "Standard Responses").await?;
            agent.press("\u{E014}").await?; // ArrowRight wraps around
            agent.wait_focused("tab", "Conversation").await?;
            agent.role("tabpanel", "Conversation").await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_responded_in_the_background_notifies() {
    run(
        "contact_responded_in_the_background_notifies",
        |h: Harness| async move {
            let agent = ann_on_communication(&h).await?;
            agent.fill("Search contacts", "Maria").await?;
            agent.click_containing("button", "Maria Lopez").await?;
            agent
                .fill("Write a Message", "Maria, your boots have shipped")
                .await?;
            agent.click("button", "Send").await?;
            agent
                .wait_text("log", "Conversation", "Maria, your boots have shipped")
                .await?;

            let desktop = go_to_another_tab(&agent).await?;
            let maria = ApiUser::visitor(&h, Some(&identity_for("cust-1001")), "Maria").await?;
            maria
                .visitor_says("Thanks, tracking number please?")
                .await?;
            let shown = wait_notification(&agent, "Maria Lopez responded").await?;
            if shown["body"] != "Thanks, tracking number please?" {
                return Err(format!("unexpected notification: {shown}").into());
            }

            back_to_the_desktop(&agent, desktop).await?;
            agent
                .wait_text(
                    "region",
                    "Contact responded",
                    "Thanks, tracking number please?",
                )
                .await?;
            agent.click("button", "Show").await?;
            agent
                .wait_text("log", "Conversation", "Thanks, tracking number please?")
                .await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}
