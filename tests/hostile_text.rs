//! Hostile text in real Chromium (issue 13): a visitor whose name is markup writes messages that
//! are script, event-handler and `javascript:` markup, and sends a picture whose file name is
//! markup; the agent's reply is markup too. The desktop (offer, Chat Interaction, transcript,
//! Contact Information) and the widget show every one of them as the text it is, and no script
//! runs: the page's `window.__pwned` stays unset and no element the markup describes exists.
//! A standard response whose category, title and body are markup (saved by the administrator
//! through the administration API, which keeps text as text) is listed and inserted as text too.
//!
//! # Layout
//! - `markup_is_shown_as_text_and_never_runs`: the whole round trip above.

mod harness;

use harness::{login, run, wait_until, ApiUser, Browser, Harness, Result, DEMO_AGENTS};
use std::time::Duration;

/// The visitor's name.
const NAME: &str = "<img src=x onerror=\"window.__pwned='name'\">";
/// What the visitor writes.
const MESSAGES: [&str; 3] = [
    "<script>window.__pwned='script'</script>",
    "<img src=x onerror=\"window.__pwned='img'\"> look",
    "<a href=\"javascript:window.__pwned='link'\">my order</a>",
];
/// What the agent answers.
const REPLY: &str = "<svg onload=\"window.__pwned='reply'\"></svg> hello";

/// A standard response category, title and body made of markup.
const CATEGORY: &str = "<b onmouseover=\"window.__pwned='category'\">Hostile</b>";
const TITLE: &str = "<img src=x onerror=\"window.__pwned='title'\"> Refund";
const BODY: &str = "<script>window.__pwned='response'</script> Hello {contact.first_name}";

/// Has the administrator save the hostile standard response.
async fn hostile_response(h: &Harness) -> Result {
    let admin = ApiUser::agent(h, "ada", "ada-pass-1").await?;
    let category = admin
        .post(
            "/api/admin/response-categories",
            serde_json::json!({ "name": CATEGORY }),
        )
        .await?;
    admin
        .post(
            "/api/admin/responses",
            serde_json::json!({ "category_id": category["id"], "title": TITLE, "body": BODY }),
        )
        .await?;
    Ok(())
}

/// Fails if any markup ran or became an element in `browser`'s current document.
async fn nothing_ran(browser: &Browser) -> Result {
    let found = browser
        .client
        .execute(
            "return { pwned: window.__pwned === undefined ? null : String(window.__pwned), \
             elements: document.querySelectorAll('img[src=\"x\"], svg[onload], \
             a[href^=\"javascript:\"], [onerror], [onload]').length };",
            vec![],
        )
        .await?;
    if !found["pwned"].is_null() {
        return Err(format!("markup ran in {}: {found}", browser.label()).into());
    }
    if found["elements"].as_u64() != Some(0) {
        return Err(format!("markup became elements in {}: {found}", browser.label()).into());
    }
    Ok(())
}

/// A picture sent by the visitor with a file name made of markup.
async fn send_picture(h: &Harness, visitor: &ApiUser) -> Result {
    let part = reqwest::multipart::Part::bytes(
        include_bytes!("../crates/api/assets/seed/boot.png").to_vec(),
    )
    .file_name("<img src=x onerror=alert(1)>.png")
    .mime_str("image/png")?;
    let http = reqwest::Client::new();
    let uploaded: serde_json::Value = http
        .post(h.url("/api/visitor/attachments"))
        .bearer_auth(visitor.token())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    visitor
        .post(
            "/api/visitor/messages",
            serde_json::json!({
                "client_id": format!("hostile-{}", std::process::id()),
                "text": "",
                "attachment_id": uploaded["id"],
            }),
        )
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_is_shown_as_text_and_never_runs() {
    run(
        "markup_is_shown_as_text_and_never_runs",
        |h: Harness| async move {
            hostile_response(&h).await?;
            let agent = h.browser("agent").await?;
            let (user, password) = DEMO_AGENTS[0];
            login(&agent, user, password).await?;
            agent.select("Chat channel status", "Ready").await?;

            let visitor = ApiUser::visitor(&h, None, NAME).await?;
            for text in MESSAGES {
                visitor.visitor_says(text).await?;
            }
            send_picture(&h, &visitor).await?;

            // The offer names the visitor as text.
            let offer = agent
                .role("alertdialog", &format!("Chat offer: {NAME}"))
                .await?;
            drop(offer);
            nothing_ran(&agent).await?;
            agent.click("button", "Accept").await?;
            agent
                .role("region", &format!("Chat Interaction: {NAME}"))
                .await?;
            for text in MESSAGES {
                agent.wait_text("log", "Transcript", text).await?;
            }
            // The file name was cut down to harmless characters before it was stored; the
            // picture is named by it.
            agent.wait_some("img", "img srcx onerroralert1.png").await?;
            nothing_ran(&agent).await?;

            // The hostile standard response is listed and inserted as text.
            agent.click("tab", "Standard Responses").await?;
            agent
                .wait_text("tabpanel", "Standard Responses", TITLE)
                .await?;
            agent
                .wait_text("tabpanel", "Standard Responses", CATEGORY)
                .await?;
            agent.click("button", &format!("Insert {TITLE}")).await?;
            let inserted = wait_until(
                "the response in the composer",
                Duration::from_secs(20),
                || async {
                    let value = agent
                        .role("textbox", "Message")
                        .await?
                        .prop("value")
                        .await?;
                    Ok(value.filter(|v| v.contains("<script>window.__pwned='response'</script>")))
                },
            )
            .await?;
            drop(inserted);
            nothing_ran(&agent).await?;
            agent.fill("Message", "").await?;

            // The agent's markup reaches the visitor as text.
            agent.fill("Message", REPLY).await?;
            agent.click("button", "Send").await?;
            agent.wait_text("log", "Transcript", REPLY).await?;
            let seen = wait_until(
                "the reply in the visitor's conversation",
                Duration::from_secs(20),
                || async {
                    let page = visitor.get("/api/visitor/conversation").await?;
                    Ok(page.to_string().contains("svg onload").then_some(page))
                },
            )
            .await?;
            drop(seen);
            nothing_ran(&agent).await?;

            // Searching the Conversation tab marks the hit inside the hostile text (its lines
            // are written as escaped markup with the hit in a `<mark>`): still text, and
            // nothing runs.
            agent.click("tab", "Conversation").await?;
            agent.fill("Search", "onerror").await?;
            agent.wait_role_text("status", "1 of 1").await?;
            agent
                .wait_text("log", "Conversation", MESSAGES[1])
                .await?;
            let marks = agent
                .client
                .execute(
                    "return [...document.querySelectorAll('.current-hit mark')].map(m => m.textContent);",
                    vec![],
                )
                .await?;
            if marks != serde_json::json!(["onerror"]) {
                return Err(format!("the hit is not marked as text: {marks}").into());
            }
            nothing_ran(&agent).await?;

            // The widget shows its own conversation, markup included, as text.
            let customer = h.browser("visitor").await?;
            customer.goto("/demo").await?;
            customer.open_widget().await?;
            customer.fill("Name", NAME).await?;
            customer.click("button", "Start chat").await?;
            customer.fill("Message", MESSAGES[0]).await?;
            customer.click("button", "Send").await?;
            customer.wait_text("log", "Messages", MESSAGES[0]).await?;
            nothing_ran(&customer).await?;
            customer.leave_widget().await?;
            nothing_ran(&customer).await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}
