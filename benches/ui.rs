//! `cargo xtask bench ui`: the desktop with a 10,000-message conversation, in headless
//! Chromium (the release bundle, the real server on loopback, a real `SQLite` file).
//!
//! # Layout
//! - `harness::seed_long_conversation`: a database with the demo data and one contact,
//!   Quinn Archer, whose conversation holds 10,000 messages in 50 interactions.
//! - [`measure`]: logs ann in, opens the Communication tab and measures, in the page
//!   (`performance.now()`, `requestAnimationFrame`, a `MutationObserver`, a `MessageChannel`):
//!   - *open*: from the click on Quinn Archer until the newest message is in the page and
//!     the next frame begins — the first time (fetching the newest page) and again (from
//!     memory) — and until that frame is laid out and painted (*painted*: a task posted from
//!     its frame callback runs after its style, layout and paint); the first time also when
//!     each request the click made was sent and answered (resource timing), so what the
//!     server and the network took is told apart from the page's own work;
//!   - *scroll*: scrolling to the oldest message one screen per frame, loading every older
//!     page on the way: total time, frame intervals, the most rows ever in the page, and where
//!     the frames over 50 ms spent their time (Chromium's long animation frame entries: style,
//!     layout and paint, animation frame callbacks, each script's invoker and the layout it
//!     forced);
//!   - *jump*: dragging the scrollbar to the middle until the messages there are drawn;
//!   - *search*: typing a word into `Search` until the hit count answers, until the next
//!     frame, until a frame begins with the current hit in the transcript's view (*hit
//!     drawn*; since 2026-12-03, evening: before, in the page, scrolled to or not) and until
//!     that frame is laid out and painted (*painted*), for a rare word, a common word and a
//!     word that is not there, each [`SEARCHES`] times (median and slowest).
//!
//! Every measurement runs twice, each time in a fresh Chromium: as this machine is, then with
//! Chromium's CPU throttled 4x (CDP `Emulation.setCPUThrottlingRate`), as on the thin clients
//! contact centers run. The figures go to standard output; the README reports them with the
//! machine they ran on.

#[path = "../tests/harness/mod.rs"]
mod harness;

use std::time::Duration;

use harness::{login, run_with, wait_until, Browser, Options, Result, DEMO_AGENTS};
use serde_json::{json, Value};
use threadline_api::Config;

/// Messages in the conversation.
const MESSAGES: usize = 10_000;
/// Interactions they are spread over.
const INTERACTIONS: usize = 50;
/// A word only a few old messages contain.
const RARE: &str = "zeppelin";
/// How many messages contain it.
const RARE_HITS: usize = MESSAGES / 1_000;
/// Reopening measured this many times (the median is reported).
const REOPENS: usize = 5;
/// Each word searched this many times (the median and the slowest are reported): one search
/// takes a few frames, and where a frame boundary falls moves it by a frame either way.
const SEARCHES: usize = 5;
/// Chromium's CPU slowed by these factors, one pass each (CDP
/// `Emulation.setCPUThrottlingRate`): 1 is this machine, 4 a thin client of a contact center.
const THROTTLE_RATES: [u32; 2] = [1, 4];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let data = tempfile::tempdir().expect("a temporary directory");
        let url = Config::sqlite_url(&data.path().join("bench.db"));
        harness::seed_long_conversation(&url, MESSAGES, INTERACTIONS, text_of)
            .await
            .expect("the benchmark data");
        // Demo mode for its identity secret; the database is not empty, so nothing is seeded.
        let options = Options {
            seed_demo: true,
            configure: Box::new(move |config: &mut Config| config.database_url = url),
        };
        run_with("bench_ui", options, |h| async move {
            // Each pass in a fresh Chromium, so the throttled one fetches and draws from nothing.
            for rate in THROTTLE_RATES {
                let agent = h.browser(&format!("agent-{rate}x")).await?;
                measure(&agent, rate).await?;
                agent.quit().await?;
            }
            Ok(())
        })
        .await;
        drop(data);
    });
}

/// The text of message `n` (1-based): a few words, a number, the rare word now and then.
fn text_of(n: usize) -> String {
    const WORDS: [&str; 8] = [
        "my order has not arrived yet",
        "could you check the tracking number",
        "the parcel was left at the wrong door",
        "I would like a refund for the jacket",
        "thank you, that helps a lot",
        "the size chart says medium",
        "can I change the delivery address",
        "the courier says it was delivered",
    ];
    let rare = if n % 1_000 == 500 { " by zeppelin" } else { "" };
    format!("{} (message {n}){rare}", WORDS[n % WORDS.len()])
}

/// Runs an async script (its last argument is the callback) and returns what it passed back.
async fn script(agent: &Browser, body: &str, args: Vec<Value>) -> Result<Value> {
    let value = agent.client.execute_async(body, args).await?;
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        return Err(format!("in the page: {error}").into());
    }
    Ok(value)
}

/// Clicks the contact named `name` in the Contacts list and waits until `last` (a message's
/// text) is drawn; milliseconds from the click to the frame after.
const OPEN_JS: &str = r"
const [name, last, done] = arguments;
const item = [...document.querySelectorAll('.contact-item')]
  .find(b => b.querySelector('.contact-name')?.textContent === name);
if (!item) { done({ error: 'no contact ' + name }); return; }
const shown = () => [...document.querySelectorAll('.contact-conversation .transcript .rows')]
  .some(r => r.textContent.includes(last));
const t0 = performance.now();
const finish = () => requestAnimationFrame(() => {
  const ms = performance.now() - t0;
  // A task posted from a frame callback runs after that frame's style, layout and paint.
  const after = new MessageChannel();
  // The requests the click made, from the page's resource timing: when each was sent and
  // when its answer had arrived, from the click (what is left of `ms` is the page's work).
  const fetched = performance.getEntriesByType('resource')
    .filter(e => e.startTime >= t0 && e.name.includes('/api/'))
    .map(e => ({ path: new URL(e.name).pathname.replace(/[0-9a-f-]{36}|\d+/g, '{id}'),
      sent: e.startTime - t0, answered: e.responseEnd - t0, bytes: e.encodedBodySize }));
  after.port1.onmessage = () => done({ ms, painted: performance.now() - t0, fetched });
  after.port2.postMessage(0);
});
const watch = new MutationObserver(() => { if (shown()) { watch.disconnect(); finish(); } });
watch.observe(document.body, { childList: true, subtree: true, characterData: true });
item.click();
if (shown()) { watch.disconnect(); finish(); }
";

/// Scrolls the conversation up one screen per frame until its first message is drawn and
/// nothing older is left; frame intervals and the most rows ever rendered.
const SCROLL_JS: &str = r"
const [first, done] = arguments;
const log = document.querySelector('.contact-conversation .transcript');
// Where the long frames' time goes: Chromium's long animation frame entries (frames over
// 50 ms), with each script's invoker and the style and layout it forced.
const long = [];
const observer = new PerformanceObserver(list => long.push(...list.getEntries()));
observer.observe({ type: 'long-animation-frame' });
const where = () => {
  observer.disconnect();
  const by = {};
  let total = 0, forced = 0, callbacks = 0, layout = 0;
  for (const f of long) {
    total += f.duration;
    const end = f.startTime + f.duration;
    if (f.renderStart > 0) { callbacks += f.styleAndLayoutStart - f.renderStart; }
    if (f.styleAndLayoutStart > 0) { layout += end - f.styleAndLayoutStart; }
    for (const s of f.scripts) {
      // The function the script entered, where Chromium knows it (the page's wasm-bindgen
      // glue names the Rust closure's trampoline; the benchmark's own callbacks are anonymous).
      const name = s.sourceFunctionName || (s.sourceURL ? s.sourceURL.split('/').pop() : 'the benchmark');
      const key = `${s.invokerType} ${s.invoker} (${name})`;
      by[key] = by[key] || [0, 0];
      by[key][0] += s.duration;
      by[key][1] += s.forcedStyleAndLayoutDuration;
      forced += s.forcedStyleAndLayoutDuration;
    }
  }
  const scripts = Object.entries(by).sort((a, b) => b[1][0] - a[1][0]).slice(0, 6)
    .map(([key, [ms, forcedMs]]) => [key, ms, forcedMs]);
  return { count: long.length, total, forced, callbacks, layout, scripts };
};
const t0 = performance.now();
let last = t0, frames = [], rows = 0;
const step = (now) => {
  frames.push(now - last); last = now;
  rows = Math.max(rows, log.querySelectorAll('.rows > *').length);
  const more = [...log.querySelectorAll('button')].some(b => b.textContent === 'Load earlier messages');
  const top = log.querySelector('.rows').textContent.includes(first);
  if (!more && top && log.scrollTop === 0) {
    done({ ms: now - t0, frames, rows, height: log.scrollHeight, long: where() });
    return;
  }
  if (now - t0 > 120000) {
    const r = log.querySelector('.rows');
    done({ error: `not at the first message after 120 s (scrollTop ${log.scrollTop} of ${log.scrollHeight}, ${r.children.length} rows from ${r.firstElementChild?.textContent.slice(0, 80)})` });
    return;
  }
  log.scrollTop = Math.max(0, log.scrollTop - log.clientHeight);
  requestAnimationFrame(step);
};
requestAnimationFrame(step);
";

/// Drags the scrollbar to the middle; milliseconds until a message from there is drawn.
/// With `again` (between two searches, so that each starts where the first did, away from
/// every hit) the scrollbar is moved again each frame until then: for 400 ms after a search
/// brought its hit into view the log keeps its rows whatever the scroll position says.
const JUMP_JS: &str = r"
const [again, done] = arguments;
const log = document.querySelector('.contact-conversation .transcript');
const middle = () => [...log.querySelectorAll('.rows > *')].some(r => {
  const m = /\(message (\d+)\)/.exec(r.textContent);
  return m && Math.abs(Number(m[1]) - 5000) < 1000;
});
const t0 = performance.now();
let nudge = 0;
const drag = () => { log.scrollTop = log.scrollHeight / 2 + (nudge++ % 2); };
drag();
const check = () => {
  if (middle()) { requestAnimationFrame(() => done({ ms: performance.now() - t0 })); return; }
  if (performance.now() - t0 > 10000) { done({ error: 'the middle was never drawn' }); return; }
  if (again) { drag(); }
  requestAnimationFrame(check);
};
requestAnimationFrame(check);
";

/// Types `word` into the Conversation tab's Search; milliseconds until the hit count
/// answers and until the next frame, and the answer.
const SEARCH_JS: &str = r"
const [word, done] = arguments;
const box = document.querySelector('.contact-conversation input[type=search]');
const count = document.querySelector('.contact-conversation .hit-count');
const before = count.textContent;
box.value = word;
const t0 = performance.now();
const answered = () => count.textContent !== before && count.textContent !== '' && count.textContent !== 'Searching…';
const finish = () => {
  const t1 = performance.now();
  requestAnimationFrame(() => {
    const t2 = performance.now();
    // Then until the current hit is drawn in the transcript's view (none when nothing matched).
    const shown = () => {
      if (!/of/.test(count.textContent)) return true;
      const mark = document.querySelector('.contact-conversation .current-hit mark');
      if (!mark) return false;
      const m = mark.getBoundingClientRect(), v = mark.closest('.transcript').getBoundingClientRect();
      return m.top >= v.top && m.bottom <= v.bottom;
    };
    const wait = () => {
      if (!shown()) { requestAnimationFrame(wait); return; }
      const hit = performance.now() - t0;
      // Posted from the frame callback: runs once this frame is laid out and painted.
      const after = new MessageChannel();
      after.port1.onmessage = () => done({ ms: t1 - t0, frame: t2 - t0, hit, painted: performance.now() - t0, text: count.textContent });
      after.port2.postMessage(0);
    };
    wait();
  });
};
const watch = new MutationObserver(() => { if (answered()) { watch.disconnect(); finish(); } });
watch.observe(count, { childList: true, subtree: true, characterData: true });
box.dispatchEvent(new Event('input', { bubbles: true }));
if (answered()) { watch.disconnect(); finish(); }
";

/// Clears the Search field and waits until the count is empty again.
const CLEAR_JS: &str = r"
const [done] = arguments;
const box = document.querySelector('.contact-conversation input[type=search]');
const count = document.querySelector('.contact-conversation .hit-count');
box.value = '';
box.dispatchEvent(new Event('input', { bubbles: true }));
const check = () => count.textContent === '' ? done({}) : requestAnimationFrame(check);
requestAnimationFrame(check);
";

fn ms(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short list"
    )]
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// One pass of every measurement, with Chromium's CPU slowed `rate` times.
async fn measure(agent: &Browser, rate: u32) -> Result {
    // Scrolling through 10,000 messages takes longer than WebDriver's default 30 s.
    agent.script_timeout(Duration::from_mins(3)).await?;
    let (user, password) = DEMO_AGENTS[0];
    login(agent, user, password).await?;
    agent.click_containing("tab", "Communication").await?;
    agent.role("region", "Communication").await?;
    wait_until("Quinn Archer in the Contacts list", Duration::from_secs(30), || async {
        let found = agent
            .client
            .execute(
                "return [...document.querySelectorAll('.contact-name')].some(e => e.textContent === 'Quinn Archer');",
                vec![],
            )
            .await?;
        Ok(found.as_bool().unwrap_or(false).then_some(()))
    })
    .await?;
    if rate > 1 {
        agent
            .cdp("Emulation.setCPUThrottlingRate", json!({ "rate": rate }))
            .await?;
    }
    let newest = text_of(MESSAGES);
    let oldest = text_of(1);

    eprintln!("bench ui ({rate}x CPU): opening the conversation");
    let first = script(agent, OPEN_JS, vec![json!("Quinn Archer"), json!(newest)]).await?;
    let (mut reopen, mut reopen_painted) = (Vec::new(), Vec::new());
    for _ in 0..REOPENS {
        agent.click_containing("button", "Maria Lopez").await?;
        agent.role("heading", "Maria Lopez").await?;
        let again = script(agent, OPEN_JS, vec![json!("Quinn Archer"), json!(newest)]).await?;
        reopen.push(ms(&again, "ms"));
        reopen_painted.push(ms(&again, "painted"));
    }
    reopen.sort_by(f64::total_cmp);
    reopen_painted.sort_by(f64::total_cmp);

    eprintln!("bench ui: scrolling to the first message");
    let scroll = script(agent, SCROLL_JS, vec![json!(oldest)]).await?;
    let mut frames: Vec<f64> = scroll["frames"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    frames.sort_by(f64::total_cmp);
    eprintln!("bench ui: dragging the scrollbar");
    let jump = script(agent, JUMP_JS, vec![json!(false)]).await?;

    eprintln!("bench ui: searching");
    let mut searches = Vec::new();
    for word in [RARE, "refund", "hovercraft"] {
        let mut results = Vec::with_capacity(SEARCHES);
        for _ in 0..SEARCHES {
            results.push(script(agent, SEARCH_JS, vec![json!(word)]).await?);
            script(agent, CLEAR_JS, vec![]).await?;
            script(agent, JUMP_JS, vec![json!(true)]).await?;
        }
        searches.push((word, results));
    }
    let rare_answer = searches[0].1[0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if !rare_answer.ends_with(&format!("of {RARE_HITS}")) {
        return Err(
            format!("searching {RARE:?} answered {rare_answer:?}, not … of {RARE_HITS}").into(),
        );
    }

    let cpu = if rate > 1 {
        format!("CPU throttled {rate}x")
    } else {
        "CPU not throttled".to_owned()
    };
    println!(
        "\nbench ui: a {MESSAGES}-message conversation ({INTERACTIONS} interactions) in headless Chromium, {cpu}"
    );
    println!(
        "  open (first, fetching the newest page)   {:>8.1} ms   (painted {:.1})",
        ms(&first, "ms"),
        ms(&first, "painted")
    );
    for f in first["fetched"].as_array().into_iter().flatten() {
        println!(
            "    {:<40} sent at {:>6.1} ms, answered at {:>6.1} ms ({} bytes on the wire)",
            f["path"].as_str().unwrap_or_default(),
            ms(f, "sent"),
            ms(f, "answered"),
            f["bytes"]
        );
    }
    println!(
        "  open again (median of {REOPENS})               {:>8.1} ms   (min {:.1}, max {:.1}; painted {:.1})",
        percentile(&reopen, 0.5),
        reopen.first().copied().unwrap_or(f64::NAN),
        reopen.last().copied().unwrap_or(f64::NAN),
        percentile(&reopen_painted, 0.5)
    );
    println!(
        "  scroll to the first message              {:>8.1} ms   ({} frames; interval p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms)",
        ms(&scroll, "ms"),
        frames.len(),
        percentile(&frames, 0.5),
        percentile(&frames, 0.95),
        frames.last().copied().unwrap_or(f64::NAN)
    );
    let long = &scroll["long"];
    println!(
        "    long frames (over 50 ms): {}, {:.0} ms in all: style, layout and paint {:.0} ms; animation frame callbacks {:.0} ms; scripts (below) forced style and layout for {:.0} ms",
        long["count"],
        ms(long, "total"),
        ms(long, "layout"),
        ms(long, "callbacks"),
        ms(long, "forced")
    );
    for entry in long["scripts"].as_array().into_iter().flatten() {
        println!(
            "      {:<52} {:>7.0} ms (forced style and layout {:.0} ms)",
            entry[0].as_str().unwrap_or_default(),
            entry[1].as_f64().unwrap_or(f64::NAN),
            entry[2].as_f64().unwrap_or(f64::NAN)
        );
    }
    println!(
        "  rows in the page at most                 {:>8}      (scroll height {} px)",
        scroll["rows"], scroll["height"]
    );
    println!(
        "  drag the scrollbar to the middle         {:>8.1} ms",
        ms(&jump, "ms")
    );
    println!("  search, {SEARCHES} times each (median / slowest):");
    for (word, results) in &searches {
        let spread = |key: &str| {
            let mut v: Vec<f64> = results.iter().map(|r| ms(r, key)).collect();
            v.sort_by(f64::total_cmp);
            format!(
                "{:>5.1} / {:>5.1}",
                percentile(&v, 0.5),
                v.last().copied().unwrap_or(f64::NAN)
            )
        };
        println!(
            "    {:<12} answer {} ms, next frame {} ms, hit drawn {} ms, painted {} ms   ({})",
            format!("{word:?}"),
            spread("ms"),
            spread("frame"),
            spread("hit"),
            spread("painted"),
            results[0]["text"].as_str().unwrap_or_default()
        );
    }
    Ok(())
}
