//! A chat from the visitor's first message to `Mark Done`, with the agent desktop and the
//! widget in two (or three) Chromium windows.
//!
//! # Layout
//! - `chat_from_offer_to_mark_done`: the agent (Ben) goes Ready; Maria Lopez (a seeded customer with
//!   history, identified by a signed token) writes from `/demo`; the offer shows, `Accept`;
//!   text, emoji and images both ways; Maria leaves the page; the agent writes from the
//!   Conversation tab (also after `End chat`, which reactivates the chat); `Search` finds a
//!   word from an earlier interaction; `End chat`, a disposition, `Mark Done`. With
//!   `THREADLINE_SCREENSHOT=1` it saves the interaction view as the README's `docs/desktop.png`.
//! - `reject_offers_the_chat_to_the_next_agent`: two agents Ready; whoever gets the offer
//!   rejects it and the other one gets it.
//! - `refused_image_shows_an_error`: an SVG named `.png` and a text file, attached in the
//!   desktop, are refused with a visible message.
//! - `dropped_stream_loses_and_duplicates_nothing`: the agent's event stream is cut while the
//!   visitor writes; once it is back every message shows exactly once, and again after a reload.
//! - `stream_back_after_the_log_was_pruned_shows_what_it_missed`: the stream is cut until the
//!   server's event log no longer holds what came meanwhile (`resync`): the open chat shows the
//!   messages it missed, once each, in the agent's view and in a supervisor's Monitor, and the
//!   agent's draft is still there.

mod harness;

use harness::{
    default_timeout, identity_for, login, occurrences, run, save_readme_screenshot, wait_until,
    ApiUser, Browser, Files, Harness, Result, DEMO_AGENTS, SVG,
};
use serde_json::json;
use std::time::Duration;

/// Logs `agent` in as demo agent `index` and sets the Chat channel status to Ready.
async fn ready_agent(agent: &Browser, index: usize) -> Result {
    let (user, password) = DEMO_AGENTS[index];
    login(agent, user, password).await?;
    agent.select("Chat channel status", "Ready").await?;
    Ok(())
}

/// Ann, with her event streams hooked (cut and restored at will) and Ready, accepts a chat
/// that a visitor named `name` starts over the API with `first`.
async fn hooked_agent_in_a_chat(
    h: &Harness,
    name: &str,
    first: &str,
) -> Result<(Browser, ApiUser)> {
    let agent = h.browser("agent").await?;
    agent.hook_event_streams().await?;
    ready_agent(&agent, 0).await?;
    let visitor = ApiUser::visitor(h, None, name).await?;
    visitor.visitor_says(first).await?;
    agent
        .role("alertdialog", &format!("Chat offer: {name}"))
        .await?;
    agent.click("button", "Accept").await?;
    agent.wait_text("log", "Transcript", first).await?;
    Ok((agent, visitor))
}

/// The text of every `<mark>` on the page (search highlights).
async fn highlights(browser: &Browser) -> Result<Vec<String>> {
    let marks = browser
        .client
        .execute(
            "return [...document.querySelectorAll('mark')].map(m => m.textContent);",
            vec![],
        )
        .await?;
    Ok(marks
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_from_offer_to_mark_done() {
    run("chat_from_offer_to_mark_done", |h: Harness| async move {
        let files = Files::new()?;
        // Real small pictures (the demo data's), so the README's screenshot shows pictures.
        let agent_png = files.write(
            "pole.png",
            include_bytes!("../crates/api/assets/seed/receipt.png"),
        )?;
        let visitor_png = files.write(
            "photo.png",
            include_bytes!("../crates/api/assets/seed/boot.png"),
        )?;

        // Ben: Maria's earlier chats were with Ann, who would get her message as a reply
        // ("contact responded") while logged in; to anyone else it is a new chat to offer.
        let agent = h.browser("agent").await?;
        ready_agent(&agent, 1).await?;

        // Maria Lopez comes to the company site, identified by it, and writes.
        let visitor = h.browser("visitor").await?;
        visitor.goto("/demo").await?;
        visitor.identify(&identity_for("cust-1001")).await?;
        visitor.open_widget().await?;
        visitor
            .fill("Message", "My tent pole snapped on the first night")
            .await?;
        visitor.click("button", "Send").await?;
        visitor
            .wait_text("log", "Messages", "My tent pole snapped")
            .await?;

        // The offer: contact, first message, Accept.
        let offer = agent.role("alertdialog", "Chat offer: Maria Lopez").await?;
        let offer_text = offer.text().await?;
        if !offer_text.contains("My tent pole snapped on the first night")
            || !offer_text.contains("Expires in")
        {
            return Err(format!(
                "the offer does not show the first message and a countdown: {offer_text}"
            )
            .into());
        }
        agent.click("button", "Accept").await?;
        agent
            .role("region", "Chat Interaction: Maria Lopez")
            .await?;
        agent
            .wait_text("log", "Transcript", "My tent pole snapped")
            .await?;

        // Agent → visitor: text with an emoji, then an image.
        agent.fill("Message", "Sorry to hear that, Maria ").await?;
        agent.click("button", "Emoji").await?;
        agent.click("button", "Thumbs up").await?;
        agent.click("button", "Send").await?;
        visitor
            .wait_text("log", "Messages", "Sorry to hear that, Maria 👍")
            .await?;
        agent.choose_file("input[type=file]", &agent_png).await?;
        agent.wait_some("img", "pole.png").await?;
        agent.click("button", "Send").await?;
        visitor.wait_some("img", "Image: pole.png").await?;

        // Visitor → agent: text with an emoji, then an image.
        visitor.fill("Message", "Great news ").await?;
        visitor.click("button", "Emoji").await?;
        visitor.click("button", "🎉").await?;
        visitor.click("button", "Send").await?;
        agent
            .wait_text("log", "Transcript", "Great news 🎉")
            .await?;
        visitor.choose_file("#tl-file", &visitor_png).await?;
        visitor.wait_some("img", "Image: photo.png").await?;
        agent.wait_some("img", "photo.png").await?;
        agent.assert_no_console_errors().await?;

        // Maria closes the page; the agent writes from the Conversation tab.
        visitor.leave_widget().await?;
        visitor.leave_page().await?;
        agent.click("tab", "Conversation").await?;
        agent
            .fill("Message", "A new pole ships tomorrow, Maria")
            .await?;
        agent.click("button", "Send").await?;
        agent
            .wait_text("log", "Conversation", "A new pole ships tomorrow, Maria")
            .await?;
        agent.assert_no_console_errors().await?;
        save_readme_screenshot(&agent, "desktop.png").await?;

        // After End chat, writing from the Conversation tab reactivates the chat.
        agent.click("button", "End chat").await?;
        agent.role("button", "Mark Done").await?;
        agent
            .fill("Message", "One more thing: use code POLE10")
            .await?;
        agent.click("button", "Send").await?;
        agent
            .wait_text("log", "Conversation", "One more thing: use code POLE10")
            .await?;
        agent.role("button", "End chat").await?;
        agent.assert_no_console_errors().await?;

        // Search finds a word from an earlier interaction (20 and 3 days ago) and marks it.
        agent.fill("Search", "waterproofing").await?;
        agent.wait_role_text("status", "1 of 1").await?;
        agent
            .wait_text("log", "Conversation", "Do you sell waterproofing spray?")
            .await?;
        let marked = wait_until("a highlighted search hit", default_timeout(), || async {
            let marks = highlights(&agent).await?;
            Ok(marks
                .iter()
                .any(|m| m.eq_ignore_ascii_case("waterproofing"))
                .then_some(marks))
        })
        .await?;
        if marked.is_empty() {
            return Err("no search highlight".into());
        }
        agent.assert_no_console_errors().await?;

        // End chat, a disposition, Mark Done: the view closes.
        agent.click("button", "End chat").await?;
        agent.select("Disposition", "Resolved").await?;
        agent.click("button", "Mark Done").await?;
        agent
            .wait_gone("region", "Chat Interaction: Maria Lopez")
            .await?;

        let api = ApiUser::agent(&h, DEMO_AGENTS[1].0, DEMO_AGENTS[1].1).await?;
        let maria = api.contact_id("Maria Lopez").await?;
        let history = api
            .get(&format!("/api/contacts/{maria}/interactions"))
            .await?;
        let newest = &history[0];
        if newest["state"] != json!("done") || newest["disposition"] != json!("resolved") {
            return Err(format!("the chat is not Done with Resolved: {newest}").into());
        }
        agent.assert_no_console_errors().await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_offers_the_chat_to_the_next_agent() {
    run(
        "reject_offers_the_chat_to_the_next_agent",
        |h: Harness| async move {
            let ann = h.browser("ann").await?;
            let ben = h.browser("ben").await?;
            ready_agent(&ann, 0).await?;
            ready_agent(&ben, 1).await?;

            let visitor = ApiUser::visitor(&h, None, "Rita Reyes").await?;
            visitor.visitor_says("Is anyone there?").await?;

            let offer = "Chat offer: Rita Reyes";
            let (first, second, second_name) = wait_until(
                "the offer on one of the agents",
                default_timeout(),
                || async {
                    if ann.is_present("alertdialog", offer).await? {
                        return Ok(Some((ann.clone(), ben.clone(), "Ben Brooks")));
                    }
                    if ben.is_present("alertdialog", offer).await? {
                        return Ok(Some((ben.clone(), ann.clone(), "Ann Archer")));
                    }
                    Ok(None)
                },
            )
            .await?;
            if second.is_present("alertdialog", offer).await? {
                return Err("both agents were offered the same chat at once".into());
            }
            first.click("button", "Reject").await?;
            first.wait_gone("alertdialog", offer).await?;

            second.role("alertdialog", offer).await?;
            second.click("button", "Accept").await?;
            second
                .role("region", "Chat Interaction: Rita Reyes")
                .await?;
            second
                .wait_text("log", "Transcript", "Is anyone there?")
                .await?;
            if first.is_present("alertdialog", offer).await? {
                return Err("the rejecting agent was offered the chat again".into());
            }
            let session = visitor.get("/api/visitor/conversation").await?;
            let text = session.to_string();
            if !text.contains(second_name) {
                return Err(format!(
                    "the visitor's conversation does not name {second_name}: {text}"
                )
                .into());
            }
            first.assert_no_console_errors().await?;
            second.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_image_shows_an_error() {
    run("refused_image_shows_an_error", |h: Harness| async move {
        let files = Files::new()?;
        let svg = files.write("drawing.png", SVG.as_bytes())?;
        let text = files.write("notes.txt", b"plain text")?;

        let agent = h.browser("agent").await?;
        let (user, password) = DEMO_AGENTS[0];
        login(&agent, user, password).await?;
        agent.click_containing("tab", "Communication").await?;
        agent.fill("Search contacts", "Maria").await?;
        agent.click_containing("button", "Maria Lopez").await?;
        agent.role("textbox", "Write a Message").await?;

        agent.choose_file("input[type=file]", &svg).await?;
        agent.wait_role_text("alert", "refused").await?;
        agent.choose_file("input[type=file]", &text).await?;
        agent
            .wait_role_text("alert", "is not an image that can be sent")
            .await?;
        if agent.is_present("button", "Remove image").await? {
            return Err("a refused file was attached anyway".into());
        }
        agent
            .assert_no_console_errors_except(&["/api/attachments", "415"])
            .await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_stream_loses_and_duplicates_nothing() {
    run(
        "dropped_stream_loses_and_duplicates_nothing",
        |h: Harness| async move {
            let (agent, visitor) =
                hooked_agent_in_a_chat(&h, "Sam Stream", "First, before the cut").await?;

            let opened = agent.cut_event_streams().await?;
            if opened == 0 {
                return Err("the desktop opened no event stream".into());
            }
            agent.wait_role_text("status", "Reconnecting").await?;
            visitor.visitor_says("Second, during the cut").await?;
            visitor.visitor_says("Third, during the cut").await?;
            agent.restore_event_streams().await?;
            agent
                .wait_text("log", "Transcript", "Third, during the cut")
                .await?;
            visitor.visitor_says("Fourth, after the cut").await?;
            let all = [
                "First, before the cut",
                "Second, during the cut",
                "Third, during the cut",
                "Fourth, after the cut",
            ];
            let transcript = agent
                .wait_text("log", "Transcript", "Fourth, after the cut")
                .await?;
            for line in all {
                let n = occurrences(&transcript, line);
                if n != 1 {
                    return Err(format!(
                        "after the reconnect {line:?} shows {n} times:\n{transcript}"
                    )
                    .into());
                }
            }
            if agent.event_streams_opened().await? <= opened {
                return Err("the desktop did not open a new stream after the cut".into());
            }

            // A reload shows the same, once each.
            agent.reload().await?;
            agent.click_containing("tab", "Sam Stream").await?;
            let transcript = agent
                .wait_text("log", "Transcript", "Fourth, after the cut")
                .await?;
            for line in all {
                let n = occurrences(&transcript, line);
                if n != 1 {
                    return Err(
                        format!("after a reload {line:?} shows {n} times:\n{transcript}").into(),
                    );
                }
            }
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_back_after_the_log_was_pruned_shows_what_it_missed() {
    let options = harness::Options {
        configure: Box::new(|c| {
            c.event_retention = Duration::from_secs(3);
            c.prune_interval = Duration::from_millis(200);
        }),
        ..harness::Options::default()
    };
    harness::run_with(
        "stream_back_after_the_log_was_pruned_shows_what_it_missed",
        options,
        |h: Harness| async move {
            let (agent, visitor) = hooked_agent_in_a_chat(&h, "Gail Gap", "Before the gap").await?;
            agent.fill("Message", "A draft kept").await?;
            // A supervisor monitors the chat from the console.
            let sam = h.browser("sam").await?;
            sam.hook_event_streams().await?;
            login(&sam, "sam", "sam-pass-1").await?;
            sam.click("link", "Console").await?;
            sam.click("button", "Monitor the chat with Gail Gap")
                .await?;
            sam.wait_text("log", "Transcript", "Before the gap").await?;

            agent.cut_event_streams().await?;
            sam.cut_event_streams().await?;
            agent.wait_role_text("status", "Reconnecting").await?;
            visitor.visitor_says("During the gap").await?;
            visitor.visitor_says("Still during the gap").await?;
            // Until the log has pruned what came during the cut, the stream would replay it:
            // wait until it no longer can, so the server answers the reconnect with `resync`.
            let store = threadline_api::store::Store::connect(h.database_url()).await?;
            let head = store.event_head().await?;
            wait_until(
                "the log pruned past the cut",
                Duration::from_secs(30),
                || {
                    let store = &store;
                    async move { Ok((store.event_floor().await? >= head).then_some(())) }
                },
            )
            .await?;
            agent.restore_event_streams().await?;
            sam.restore_event_streams().await?;

            for (who, browser) in [("the agent", &agent), ("the supervisor", &sam)] {
                let transcript = browser
                    .wait_text("log", "Transcript", "Still during the gap")
                    .await?;
                for line in ["Before the gap", "During the gap", "Still during the gap"] {
                    let n = occurrences(&transcript, line);
                    if n != 1 {
                        return Err(format!(
                            "after the resync {line:?} shows {n} times to {who}:\n{transcript}"
                        )
                        .into());
                    }
                }
            }
            let draft = agent
                .role("textbox", "Message")
                .await?
                .prop("value")
                .await?;
            if draft.as_deref() != Some("A draft kept") {
                return Err(format!("the draft after the resync: {draft:?}").into());
            }
            // Live again: what the visitor writes now arrives by the stream.
            visitor.visitor_says("After the gap").await?;
            agent
                .wait_text("log", "Transcript", "After the gap")
                .await?;
            sam.wait_text("log", "Transcript", "After the gap").await?;
            sam.assert_no_console_errors().await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}
