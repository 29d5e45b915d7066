//! A contact with a long history in the Communication tab, in Chromium: only a window of the
//! conversation is in the page, and it slides as the agent scrolls.
//!
//! # Layout
//! - `scrolling_a_long_conversation_shows_every_message_once`: Quinn Archer has 1,200
//!   messages in 12 interactions (three pages). Ann opens him: as each frame of the opening
//!   is painted, his newest message is in view and stays where it was first drawn. She
//!   scrolls the `Conversation` log up one screen per frame to his first message, loading the
//!   older pages on the way: at every frame the rows in the page are at most the window's
//!   100, in order, none twice; as each frame is painted, the line she reads has moved by her
//!   scroll and nothing else (no scroll of hers put back while the window slides, no row moved
//!   by an older page arriving or a new row height); and every message is drawn on the way.
//!   Then she opens Maria Lopez and Quinn again: no row of one conversation is left in the
//!   other's log, and Quinn's is back at his first message, where she left it. Last she
//!   searches for a message 900 messages away: it is brought into view with rows around it
//!   filling the whole view (a hit's window holds only what can be seen); scrolled away from
//!   it, `Next` on that only hit brings it back. Reading there, 300 messages up, she writes
//!   to him: the log jumps to the end, where her message is in view.
//! - `an_interaction_longer_than_a_page_shows_from_its_first_message`: a chat that went on
//!   for 620 messages, more than the newest page holds, open in Ann's Chat Interaction view:
//!   scrolling its `Transcript` up one screen per frame loads the older pages on the way and
//!   draws every message of it once, in order, down to the first.

mod harness;

use std::time::Duration;

use harness::{login, run_with, wait_until, ApiUser, Browser, Options, Result, DEMO_AGENTS};
use serde_json::{json, Value};
use threadline_api::Config;

/// Quinn's messages.
const MESSAGES: usize = 1_200;
/// The interactions they are spread over.
const INTERACTIONS: usize = 12;
/// The most rows the log keeps in the page (`src/chat_interaction/window.rs`).
const WINDOW: u64 = 100;
/// The messages of one long chat: more than a page of the conversation (`MAX_PAGE`).
const LONG_CHAT: usize = 620;

/// Message `n` (1-based) says which one it is.
fn text_of(n: usize) -> String {
    format!("question about the order (message {n})")
}

/// A script's first lines: `rowsOf(log)`, the rows in the page of a Conversation log;
/// `numberOf(row)`, the message a row shows (null for an interaction's header); and
/// `watchPaints(onFrame, onPaint)`, which calls `onFrame` at every animation frame (before its
/// layout) and `onPaint` as that frame is painted, and returns a function that stops both. A
/// resize observer's callback runs after the frame's layout, before its paint, so what
/// `onPaint` reads is what the frame shows; a hidden element resized at every frame makes it
/// run every frame.
macro_rules! watch_paints_js {
    () => {
        r"
const rowsOf = log => [...log.querySelectorAll('.rows > *')];
const numberOf = r => {
  const m = /\(message (\d+)\)/.exec(r.textContent);
  return m && Number(m[1]);
};
const watchPaints = (onFrame, onPaint) => {
  let stopped = false, n = 0;
  const sentinel = document.createElement('div');
  sentinel.style.cssText = 'position: fixed; top: 0; left: 0; height: 1px; width: 1px; visibility: hidden';
  document.body.appendChild(sentinel);
  const observer = new ResizeObserver(() => { if (!stopped) { onPaint(); } });
  observer.observe(sentinel);
  const frame = () => {
    if (stopped) { return; }
    onFrame();
    if (stopped) { return; }
    n++;
    sentinel.style.width = `${1 + n % 2}px`;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  return () => { stopped = true; observer.disconnect(); sentinel.remove(); };
};
"
    };
}

/// Scrolls the Conversation log (the element passed) up one screen per frame until nothing
/// older is left and the first message is drawn. Fails at the first frame whose rows are
/// more than the window, out of order or repeated, or, as the frame is painted, whose line
/// at the top of the view moved on screen by other than the scroll made since the frame
/// before (a scroll put back by the log, rows moved by a slide, an older page or a new row
/// height and not put back); returns every message number drawn.
const SCROLL_UP_JS: &str = concat!(
    watch_paints_js!(),
    r"
const [log, first, window, done] = arguments;
const seen = new Set();
const t0 = performance.now();
const rowsNow = () => rowsOf(log);
const numbers = () => rowsNow().map(numberOf).filter(n => n !== null);
let frames = 0;
// The line at the top of the view, the first message row to reach below its top edge: its
// message and its distance from the view's top edge.
const read = () => {
  const row = rowsNow()
    .find(r => r.offsetTop + r.offsetHeight > log.scrollTop && numberOf(r) !== null);
  return row && { offset: row.offsetTop - log.scrollTop, message: numberOf(row) };
};
// The line when the frame before was painted (at first: now), the scroll since, and how many
// frames were checked.
let reading = read(), scrolled = 0, readings = 0;
const trail = [];
const check = () => {
  readings++;
  // The same message's row (a slide may have drawn it anew).
  const again = reading && rowsNow().find(r => numberOf(r) === reading.message);
  if (again) {
    const moved = again.offsetTop - log.scrollTop - reading.offset;
    if (Math.abs(moved - scrolled) > 2) {
      finish({ error: `message ${reading.message} moved ${moved} px down the screen after a scroll of ${scrolled} px; the last frames:\n${trail.join('\n')}` });
      return;
    }
  }
  reading = read();
  scrolled = 0;
  trail.push(`frame ${frames}: scrollTop ${log.scrollTop} of ${log.scrollHeight}, view from message ${reading && reading.message}`);
  if (trail.length > 6) { trail.shift(); }
};
const finish = (result) => {
  stop();
  done(result);
};
const step = () => {
  frames++;
  const rows = rowsNow().length;
  const shown = numbers();
  if (rows > window) { finish({ error: `${rows} rows in the page` }); return; }
  for (let i = 1; i < shown.length; i++) {
    if (shown[i] <= shown[i - 1]) {
      finish({ error: `message ${shown[i]} drawn after message ${shown[i - 1]}` });
      return;
    }
  }
  shown.forEach(n => seen.add(n));
  const more = [...log.querySelectorAll('button')].some(b => b.textContent === 'Load earlier messages');
  if (!more && shown.includes(first) && log.scrollTop === 0) {
    // The check above ran at (nearly) every frame, or it proved nothing.
    finish(readings + 2 >= frames ? { seen: [...seen] } : { error: `the line read checked at ${readings} of ${frames} frames` });
    return;
  }
  if (performance.now() - t0 > 60000) {
    finish({ error: `not at the first message after 60 s (scrollTop ${log.scrollTop}, first drawn ${shown[0]})` });
    return;
  }
  const before = log.scrollTop;
  log.scrollTop = Math.max(0, before - log.clientHeight);
  scrolled += before - log.scrollTop;
};
const stop = watchPaints(step, check);
"
);

/// Installed before a conversation opens: from the first frame whose Conversation log holds
/// the newest message's row, checks as each frame is painted (`watch_paints_js`) that the
/// row is in view and at the same distance from the view's bottom edge as when it was first
/// drawn: the conversation opens at its newest message and nothing moves while the rows are
/// measured and the spacers sized. Stops after 90 such frames or the first fault;
/// [`OPENING_RESULT_JS`] waits for it.
const WATCH_OPENING_JS: &str = concat!(
    watch_paints_js!(),
    r"
const newest = arguments[0];
const rowOf = log => rowsOf(log).find(r => numberOf(r) === newest);
const state = { frames: 0, drawnFrames: 0, readings: 0, fromBottom: null, trail: [], result: null };
window.threadlineOpening = state;
const finish = result => {
  state.result = result;
  stop();
};
const check = () => {
  const log = document.querySelector('[role=log][aria-label=Conversation]');
  const row = log && rowOf(log);
  if (!row) { return; }
  state.readings++;
  const view = log.getBoundingClientRect();
  const box = row.getBoundingClientRect();
  const fromBottom = Math.round(view.bottom - box.bottom);
  state.trail.push(`reading ${state.readings}: ${fromBottom} px above the bottom edge, scrollTop ${log.scrollTop} of ${log.scrollHeight}`);
  if (state.trail.length > 6) { state.trail.shift(); }
  if (box.top < view.top - 1 || box.bottom > view.bottom + 1) {
    finish({ error: `message ${newest} drawn out of view; the last frames:\n${state.trail.join('\n')}` });
    return;
  }
  if (state.fromBottom === null) { state.fromBottom = fromBottom; }
  if (Math.abs(fromBottom - state.fromBottom) > 2) {
    finish({ error: `message ${newest} moved from ${state.fromBottom} to ${fromBottom} px above the bottom edge; the last frames:\n${state.trail.join('\n')}` });
    return;
  }
  if (state.readings >= 90) { finish({ frames: state.frames, readings: state.readings }); }
};
const step = () => {
  state.frames++;
  if (state.readings > 0) { state.drawnFrames++; }
};
const stop = watchPaints(step, check);
"
);

/// Waits until [`WATCH_OPENING_JS`] has finished (or 20 s) and answers its result.
const OPENING_RESULT_JS: &str = r"
const done = arguments[arguments.length - 1];
const t0 = performance.now();
const wait = () => {
  const state = window.threadlineOpening;
  if (state.result) {
    // The check ran at (nearly) every frame since the row was first drawn, or it proved nothing.
    if (!state.result.error && state.readings + 2 < state.drawnFrames) {
      done({ error: `the newest row checked at ${state.readings} of ${state.drawnFrames} frames` });
    } else {
      done(state.result);
    }
  } else if (performance.now() - t0 > 20000) {
    done({ error: `${state.readings} frames checked in 20 s; the last:\n${state.trail.join('\n')}` });
  } else {
    setTimeout(wait, 50);
  }
};
wait();
";

/// Whether the log (the element passed) shows the current search hit whole, with rendered rows
/// from its top edge to its bottom edge (no spacer in sight).
const HIT_FILLS_VIEW_JS: &str = r"
const log = arguments[0];
const view = log.getBoundingClientRect();
const rows = log.querySelectorAll('.rows > .row');
const hit = log.querySelector('.current-hit');
if (!hit || rows.length === 0) return false;
const h = hit.getBoundingClientRect();
const first = rows[0].getBoundingClientRect();
const last = rows[rows.length - 1].getBoundingClientRect();
return h.top >= view.top && h.bottom <= view.bottom
  && first.top <= view.top && last.bottom >= view.bottom;
";

/// Whether the log (`arguments[0]`) is scrolled to its end and its last row, holding
/// `arguments[1]`, is inside its view.
const LAST_ROW_IN_VIEW_JS: &str = "
const [log, text] = arguments;
const rows = log.querySelectorAll('.rows > .row');
const last = rows[rows.length - 1];
if (!last || !last.textContent.includes(text)) return false;
const view = log.getBoundingClientRect();
const row = last.getBoundingClientRect();
return log.scrollTop + log.clientHeight >= log.scrollHeight - 2
  && row.top >= view.top && row.bottom <= view.bottom + 1;
";

/// Whether the Conversation log passes [`HIT_FILLS_VIEW_JS`] now.
async fn hit_in_view(agent: &Browser) -> Result<bool> {
    let log = agent.role("log", "Conversation").await?;
    let filled = agent
        .client
        .execute(HIT_FILLS_VIEW_JS, vec![serde_json::to_value(&log)?])
        .await?;
    Ok(filled.as_bool().unwrap_or(false))
}

/// Waits until the Conversation log passes [`HIT_FILLS_VIEW_JS`]; `what` names the wait.
async fn hit_fills_view(agent: &Browser, what: &str) -> Result {
    wait_until(what, Duration::from_secs(10), || async {
        Ok(hit_in_view(agent).await?.then_some(()))
    })
    .await
}

/// Opens `name` from the Contacts list; waits until the Conversation log shows `text`.
async fn open_contact(agent: &Browser, name: &str, text: &str) -> Result {
    agent.fill("Search contacts", name).await?;
    agent.click_containing("button", name).await?;
    agent.wait_text("log", "Conversation", text).await?;
    Ok(())
}

/// The texts of the rows in the Conversation log.
async fn row_texts(agent: &Browser) -> Result<Vec<String>> {
    let log = agent.role("log", "Conversation").await?;
    let texts = agent
        .client
        .execute(
            "return [...arguments[0].querySelectorAll('.rows > *')].map(r => r.textContent);",
            vec![serde_json::to_value(&log)?],
        )
        .await?;
    Ok(serde_json::from_value(texts)?)
}

/// Scrolls the log named `log` up one screen per frame ([`SCROLL_UP_JS`]) to its first
/// message; fails unless every one of `messages` messages (numbered from 1) was drawn.
async fn scroll_up_through(agent: &Browser, log: &str, messages: usize) -> Result {
    let element = agent.role("log", log).await?;
    let result: Value = agent
        .client
        .execute_async(
            SCROLL_UP_JS,
            vec![serde_json::to_value(&element)?, json!(1), json!(WINDOW)],
        )
        .await?;
    if let Some(error) = result.get("error").and_then(Value::as_str) {
        return Err(format!("scrolling the {log} log up: {error}").into());
    }
    let mut seen: Vec<u64> = serde_json::from_value(result["seen"].clone())?;
    seen.sort_unstable();
    let all: Vec<u64> = (1..=u64::try_from(messages)?).collect();
    if seen != all {
        let missing: Vec<&u64> = all.iter().filter(|n| !seen.contains(n)).collect();
        return Err(format!(
            "{} messages never drawn in the {log} log on the way up: {missing:?}",
            missing.len()
        )
        .into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrolling_a_long_conversation_shows_every_message_once() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let url = Config::sqlite_url(&data.path().join("long.db"));
    harness::seed_long_conversation(&url, MESSAGES, INTERACTIONS, text_of)
        .await
        .expect("Quinn Archer's history");
    let options = Options {
        seed_demo: true,
        configure: Box::new(move |config: &mut Config| config.database_url = url),
    };
    run_with(
        "scrolling_a_long_conversation_shows_every_message_once",
        options,
        |h| async move {
            let agent = h.browser("ann").await?;
            agent.script_timeout(Duration::from_secs(90)).await?;
            let (user, password) = DEMO_AGENTS[0];
            login(&agent, user, password).await?;
            agent.click_containing("tab", "Communication").await?;
            agent.role("region", "Communication").await?;
            agent
                .client
                .execute(WATCH_OPENING_JS, vec![json!(MESSAGES)])
                .await?;
            open_contact(&agent, "Quinn", &text_of(MESSAGES)).await?;
            let opening: Value = agent
                .client
                .execute_async(OPENING_RESULT_JS, vec![])
                .await?;
            if let Some(error) = opening.get("error").and_then(Value::as_str) {
                return Err(format!("opening Quinn's conversation: {error}").into());
            }

            scroll_up_through(&agent, "Conversation", MESSAGES).await?;

            // Another contact's conversation in the same place, then Quinn's again: each log
            // holds its own rows only.
            open_contact(&agent, "Maria", "Maria Lopez").await?;
            wait_until("Maria's rows only", Duration::from_secs(10), || async {
                let rows = row_texts(&agent).await?;
                Ok(
                    (!rows.is_empty() && !rows.iter().any(|r| r.contains("(message ")))
                        .then_some(()),
                )
            })
            .await?;
            // Back where she left him: at his first message.
            open_contact(&agent, "Quinn", &text_of(1)).await?;
            let rows = row_texts(&agent).await?;
            if u64::try_from(rows.len())? > WINDOW
                || rows
                    .iter()
                    .any(|r| !r.contains("(message ") && !r.contains("Web Chat"))
            {
                return Err(format!(
                    "Quinn's log holds {} rows, not all his:\n{}",
                    rows.len(),
                    rows.join("\n")
                )
                .into());
            }

            // A search hit far from where she is: in view, the rows around it fill the view.
            agent.fill("Search", &text_of(900)).await?;
            agent.wait_role_text("status", "1 of 1").await?;
            hit_fills_view(&agent, "the hit in view with rows filling the view").await?;
            // The window made taller right after: the rows grow to fill the taller view.
            agent.client.set_window_size(1280, 2000).await?;
            hit_fills_view(&agent, "rows filling the taller view").await?;
            // Scrolled away to the newest message, `Next` on the only hit brings it back.
            let log = agent.role("log", "Conversation").await?;
            agent
                .client
                .execute(
                    "arguments[0].scrollTop = arguments[0].scrollHeight;",
                    vec![serde_json::to_value(&log)?],
                )
                .await?;
            wait_until(
                "the hit scrolled out of the log",
                Duration::from_secs(10),
                || async { Ok((!hit_in_view(&agent).await?).then_some(())) },
            )
            .await?;
            agent.click("button", "Next").await?;
            agent.wait_role_text("status", "1 of 1").await?;
            hit_fills_view(&agent, "the only hit back in view after Next").await?;

            // Reading far up, she writes to him: the log jumps to the end, her message in view.
            let mine = "Quinn, your replacement ships today";
            agent.fill("Write a Message", mine).await?;
            agent.click("button", "Send").await?;
            agent.wait_text("log", "Conversation", mine).await?;
            wait_until(
                "her message in view at the end",
                Duration::from_secs(10),
                || async {
                    let log = agent.role("log", "Conversation").await?;
                    let shown = agent
                        .client
                        .execute(
                            LAST_ROW_IN_VIEW_JS,
                            vec![serde_json::to_value(&log)?, json!(mine)],
                        )
                        .await?;
                    Ok(shown.as_bool().unwrap_or(false).then_some(()))
                },
            )
            .await?;
            agent.assert_no_console_errors().await?;
            Ok(())
        },
    )
    .await;
    drop(data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_longer_than_a_page_shows_from_its_first_message() {
    let options = Options {
        seed_demo: true,
        configure: Box::new(|config: &mut Config| {
            let quotas = &mut config.visitor_quotas;
            quotas.messages_per_visitor = 10_000;
            quotas.messages_per_address = 10_000;
        }),
    };
    assert!(LONG_CHAT > usize::try_from(wire::limits::MAX_PAGE).unwrap_or(usize::MAX));
    run_with(
        "an_interaction_longer_than_a_page_shows_from_its_first_message",
        options,
        |h| async move {
            let (user, password) = DEMO_AGENTS[0];
            let api = ApiUser::agent(&h, user, password).await?;
            api.ready().await?;
            let visitor = ApiUser::visitor(&h, None, "Rowan Vale").await?;
            visitor.visitor_says(&text_of(1)).await?;
            api.accept_next_offer().await?;
            for n in 2..=LONG_CHAT {
                visitor.visitor_says(&text_of(n)).await?;
            }

            let agent = h.browser("ann").await?;
            agent.script_timeout(Duration::from_secs(90)).await?;
            login(&agent, user, password).await?;
            agent.click_containing("tab", "Rowan Vale").await?;
            agent
                .wait_text("log", "Transcript", &text_of(LONG_CHAT))
                .await?;
            scroll_up_through(&agent, "Transcript", LONG_CHAT).await?;
            agent.assert_no_console_errors().await?;
            Ok(())
        },
    )
    .await;
}
