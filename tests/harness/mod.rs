//! The browser test harness: a real server, real Chromium windows, queries by role and name.
//!
//! # Layout
//! - [`run`]: the frame every browser test runs in. It starts the API in-process on
//!   `127.0.0.1:0` with a fresh temporary `SQLite` file and the demo data, hands the test a
//!   [`Harness`], and afterwards closes every browser and stops the server. When the test fails
//!   (error or panic) it first saves, per browser, a screenshot, the console log, the page source
//!   and an outline of roles and names under `target/e2e-artifacts/<test name>/`.
//! - [`Harness`]: the server's address and [`Harness::browser`] to open more browser windows
//!   (an agent, a visitor, a second agent …), all at once.
//! - [`Browser`]: one Chromium session. Find things as a person would name them:
//!   [`Browser::find`] / [`Browser::role`] (`"button"`, `"Log in"`), fill and click by role,
//!   wait for a condition ([`wait_until`]; never a fixed sleep), read the console and assert it
//!   has no errors.
//! - [`login`]: logs a demo agent in through the login form.
//! - Chromedriver: one process per test binary, started on first use on a free port, stopped when
//!   the test binary exits (a small shell watches our stdin pipe).
//!
//! Environment (all optional; `cargo xtask test` sets them): `CHROMEDRIVER` (default
//! `/usr/bin/chromedriver`), `CHROMIUM` (`/usr/bin/chromium`), `THREADLINE_DESKTOP_DIR`
//! (`<root>/dist`), `THREADLINE_WIDGET_DIR` (`<root>/crates/widget/dist`),
//! `THREADLINE_E2E_TIMEOUT_SECS` (default 20: how long a wait may take),
//! `THREADLINE_E2E_PARALLEL` (default 2: tests driving browsers at the same time),
//! `THREADLINE_SCREENSHOT=1` (write `docs/desktop.png`, see [`save_readme_screenshot`]).

// Each test binary uses a different part of the harness.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::future::Future;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ElementRef};
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};
use threadline_api::Config;
use tokio::sync::{oneshot, Semaphore};

/// Any error a test step can fail with.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
/// `Result` for test bodies and helpers.
pub type Result<T = (), E = Error> = std::result::Result<T, E>;

/// The demo agents the server seeds: `(login, password, display name)`.
pub const DEMO_AGENTS: [(&str, &str); 3] = [
    ("ann", "ann-pass-1"),
    ("ben", "ben-pass-1"),
    ("cleo", "cleo-pass-1"),
];

const ROLES_JS: &str = include_str!("roles.js");
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const SHADOW_KEY: &str = "shadow-6066-11e4-a52e-4f735466cecf";

/// The id in a `WebDriver` element reference (`{"element-6066-…": id}`).
fn element_id(value: &Value) -> Option<&str> {
    value.get(ELEMENT_KEY).and_then(Value::as_str)
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_path(key: &str, default: impl FnOnce() -> PathBuf) -> PathBuf {
    std::env::var_os(key).map_or_else(default, PathBuf::from)
}

/// How long a wait may take before the test fails (`THREADLINE_E2E_TIMEOUT_SECS`, default 20).
pub fn default_timeout() -> Duration {
    let secs = std::env::var("THREADLINE_E2E_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// Polls `check` every 50 ms until it returns `Ok(Some(_))` or `timeout` passes. Errors from
/// `check` count as "not yet" (elements go stale while the page re-renders); the last one is
/// reported if time runs out.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error) => last_error = Some(error.to_string()),
        }
        if Instant::now() >= deadline {
            let detail = last_error.map_or_else(String::new, |e| format!(" (last error: {e})"));
            return Err(format!("timed out after {timeout:?} waiting for {what}{detail}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Chromedriver: one per test binary.

struct Driver {
    url: String,
    /// Dropped only when the process exits; the watcher shell then stops chromedriver.
    _lifeline: Mutex<ChildStdin>,
}

static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();

fn driver() -> Result<&'static Driver> {
    DRIVER
        .get_or_init(start_driver)
        .as_ref()
        .map_err(|e| e.clone().into())
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn start_driver() -> Result<Driver, String> {
    let binary = env_path("CHROMEDRIVER", || "/usr/bin/chromedriver".into());
    if !binary.exists() {
        return Err(format!(
            "chromedriver not found at {} (set CHROMEDRIVER, or run `cargo xtask test`, which \
             installs Debian's chromium-driver)",
            binary.display()
        ));
    }
    let port = free_port().map_err(|e| format!("no free port for chromedriver: {e}"))?;
    let artifacts = artifacts_root();
    std::fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
    // One log per test binary (`desktop_smoke-<hash>`), replaced on each run.
    let binary_name = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "tests".to_owned());
    let log = artifacts.join(format!("chromedriver-{binary_name}.log"));
    // The shell starts chromedriver in the background and waits for its stdin (our pipe) to
    // close, which happens when this test process exits however it exits; then it stops
    // chromedriver, which ends its browsers.
    let script = r#""$0" --port="$1" --log-path="$2" >/dev/null 2>&1 &
driver=$!
cat >/dev/null
kill "$driver" 2>/dev/null
wait "$driver" 2>/dev/null"#;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(&binary)
        .arg(port.to_string())
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", binary.display()))?;
    let lifeline = child.stdin.take().expect("piped stdin");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!(
                "chromedriver did not listen on port {port} within 20 s; see {}",
                log.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Driver {
        url: format!("http://127.0.0.1:{port}"),
        _lifeline: Mutex::new(lifeline),
    })
}

// ---------------------------------------------------------------------------------------------
// The test frame.

fn artifacts_root() -> PathBuf {
    env_path("CARGO_TARGET_DIR", || root().join("target")).join("e2e-artifacts")
}

fn parallel_tests() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let n = std::env::var("THREADLINE_E2E_PARALLEL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2);
        Semaphore::new(n)
    })
}

/// What a test body gets: the running server and a way to open browsers.
#[derive(Clone)]
pub struct Harness {
    inner: Arc<Inner>,
}

struct Inner {
    test: String,
    base_url: String,
    browsers: Mutex<Vec<Browser>>,
}

/// Options for [`run_with`].
pub struct Options {
    /// Seed the demo agents, contacts and conversations (default true).
    pub seed_demo: bool,
    /// Change anything else in the server configuration.
    pub configure: Box<dyn FnOnce(&mut Config) + Send>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed_demo: true,
            configure: Box::new(|_| {}),
        }
    }
}

/// Runs one browser test named `test` (use the function's name: it names the artifacts
/// directory) with the demo data. Panics, with the reason and where the artifacts are, if the
/// body returns an error or panics.
pub async fn run<F, Fut>(test: &str, body: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = Result> + Send + 'static,
{
    run_with(test, Options::default(), body).await;
}

/// [`run`] with [`Options`].
pub async fn run_with<F, Fut>(test: &str, options: Options, body: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = Result> + Send + 'static,
{
    let _permit = parallel_tests().acquire().await.expect("never closed");
    let artifacts = artifacts_root().join(test);
    let _ = std::fs::remove_dir_all(&artifacts);

    let desktop_dir = env_path("THREADLINE_DESKTOP_DIR", || root().join("dist"));
    let widget_dir = env_path("THREADLINE_WIDGET_DIR", || {
        root().join("crates/widget/dist")
    });
    for (what, dir) in [("desktop", &desktop_dir), ("widget", &widget_dir)] {
        let built = std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        });
        assert!(
            built,
            "the {what} bundle is not built ({} has no .wasm file); run `cargo xtask test`, or \
             `trunk build --release --offline` and point THREADLINE_DESKTOP_DIR / \
             THREADLINE_WIDGET_DIR at the output",
            dir.display()
        );
    }
    if let Err(error) = driver() {
        panic!("{error}");
    }

    let data = tempfile::tempdir().expect("temporary directory");
    let mut config = Config::new(Config::sqlite_url(&data.path().join("threadline.db")));
    config.desktop_dir = Some(desktop_dir);
    config.widget_dir = Some(widget_dir);
    config.seed_demo = options.seed_demo;
    (options.configure)(&mut config);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let (stop, stopped) = oneshot::channel::<()>();
    let mut server = tokio::spawn(threadline_api::serve(listener, config, async move {
        let _ = stopped.await;
    }));
    let base_url = format!("http://{addr}");
    wait_for_server(&base_url, &mut server).await;

    let harness = Harness {
        inner: Arc::new(Inner {
            test: test.to_owned(),
            base_url,
            browsers: Mutex::new(Vec::new()),
        }),
    };
    let outcome = tokio::spawn(body(harness.clone())).await;
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(join_error) => Some(match join_error.try_into_panic() {
            Ok(payload) => payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panic".to_owned()),
            Err(error) => error.to_string(),
        }),
    };

    let browsers = std::mem::take(&mut *harness.inner.browsers.lock().expect("browsers"));
    if failure.is_some() {
        for browser in &browsers {
            browser.save_artifacts(&artifacts).await;
        }
    }
    for browser in browsers {
        let _ = tokio::time::timeout(Duration::from_secs(10), browser.client.close()).await;
    }
    let _ = stop.send(());
    if tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .is_err()
    {
        eprintln!("the server did not stop within 10 s");
    }
    drop(data);

    if let Some(reason) = failure {
        panic!(
            "{test} failed: {reason}\n(screenshots, console logs, page sources and role outlines: \
             {})",
            artifacts.display()
        );
    }
}

/// Waits until the server answers HTTP; fails at once, with its error, if it stopped.
async fn wait_for_server(
    base_url: &str,
    server: &mut tokio::task::JoinHandle<Result<(), threadline_api::ServeError>>,
) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if server.is_finished() {
            match server.await {
                Ok(Ok(())) => panic!("the server stopped right after starting"),
                Ok(Err(error)) => panic!("the server could not start: {error}"),
                Err(error) => panic!("the server task failed: {error}"),
            }
        }
        if client.get(base_url).send().await.is_ok() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not answer on {base_url} within 90 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Harness {
    /// `http://127.0.0.1:<port>` of this test's server.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The absolute URL of `path` (`/demo`) on this test's server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base_url)
    }

    /// The test's name.
    pub fn test_name(&self) -> &str {
        &self.inner.test
    }

    /// Opens a new Chromium window (1280×800) labelled `label` (`"agent"`, `"visitor"`: used in
    /// artifact file names), on a fresh profile.
    pub async fn browser(&self, label: &str) -> Result<Browser> {
        let driver = driver()?;
        let profile = tempfile::Builder::new()
            .prefix("threadline-chromium-")
            .tempdir()?;
        let chromium = env_path("CHROMIUM", || "/usr/bin/chromium".into());
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .map_err(|e| {
                format!(
                    "could not open a Chromium session through {}: {e}",
                    driver.url
                )
            })?;
        client.set_window_size(1280, 800).await?;
        let session = client.session_id().await?.unwrap_or_default();
        let browser = Browser {
            label: label.to_owned(),
            base_url: self.inner.base_url.clone(),
            client,
            session_url: format!("{}/session/{session}", driver.url),
            console: Arc::new(Mutex::new(Vec::new())),
            _profile: Arc::new(profile),
        };
        self.inner
            .browsers
            .lock()
            .expect("browsers")
            .push(browser.clone());
        Ok(browser)
    }
}

// ---------------------------------------------------------------------------------------------
// One browser.

/// One line of the browser console (or a page error) as chromedriver reports it.
#[derive(Debug, Clone)]
pub struct ConsoleEntry {
    /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    /// The text, prefixed by where it came from.
    pub message: String,
}

impl ConsoleEntry {
    /// Whether this is an error (console.error, an uncaught exception, a failed request).
    pub fn is_error(&self) -> bool {
        self.level == "SEVERE"
    }
}

/// One Chromium session (cheap to clone; clones share the session).
#[derive(Clone)]
pub struct Browser {
    label: String,
    base_url: String,
    /// The underlying `WebDriver` client, for anything the helpers do not cover.
    pub client: Client,
    session_url: String,
    console: Arc<Mutex<Vec<ConsoleEntry>>>,
    _profile: Arc<tempfile::TempDir>,
}

impl Browser {
    /// Its label (`"agent"`).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Opens `path` (`/`, `/demo`) on the test's server.
    pub async fn goto(&self, path: &str) -> Result {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await?;
        Ok(())
    }

    /// The visible elements with one of `roles` (`"button"`, `"combobox|button"`, `"*"`) whose
    /// accessible name is exactly `name` (whitespace-normalised), right now.
    pub async fn query(&self, roles: &str, name: Option<&str>) -> Result<Vec<Element>> {
        self.query_mode(roles, name, "exact").await
    }

    async fn query_mode(
        &self,
        roles: &str,
        name: Option<&str>,
        mode: &str,
    ) -> Result<Vec<Element>> {
        let mut found = self.roles_js(roles, name, mode, Value::Null).await?;
        for root in self.closed_shadow_roots().await? {
            found.extend(self.roles_js(roles, name, mode, root).await?);
        }
        self.elements(found)
    }

    /// Runs `roles.js` in `scope` (a shadow root reference, or null for the document).
    async fn roles_js(
        &self,
        roles: &str,
        name: Option<&str>,
        mode: &str,
        scope: Value,
    ) -> Result<Vec<Value>> {
        let found = self
            .client
            .execute(
                ROLES_JS,
                vec![json!(roles), json!(name), json!(mode), scope],
            )
            .await?;
        match found {
            Value::Array(items) => Ok(items),
            other => Err(format!("role query returned {other}").into()),
        }
    }

    fn elements(&self, items: Vec<Value>) -> Result<Vec<Element>> {
        items
            .into_iter()
            .map(|item| {
                let id = element_id(&item)
                    .ok_or_else(|| format!("role query returned a non-element: {item}"))?;
                Ok(Element::from_element_id(
                    self.client.clone(),
                    ElementRef::from(id.to_owned()),
                ))
            })
            .collect()
    }

    /// The closed shadow roots of custom elements (the widget's launcher lives in one), as
    /// script arguments. Scripts cannot reach them; `WebDriver` can.
    async fn closed_shadow_roots(&self) -> Result<Vec<Value>> {
        let hosts = self.roles_js("*", None, "hosts", Value::Null).await?;
        let mut roots = Vec::new();
        for host in hosts {
            let Some(id) = element_id(&host) else {
                continue;
            };
            let response = reqwest::Client::new()
                .get(format!("{}/element/{id}/shadow", self.session_url))
                .send()
                .await?;
            let body: Value = response.json().await?;
            if body["value"].get(SHADOW_KEY).is_some() {
                roots.push(body["value"].clone());
            }
        }
        Ok(roots)
    }

    /// Waits for exactly one visible element with role `roles` and name `name`, and returns it.
    pub async fn role(&self, roles: &str, name: &str) -> Result<Element> {
        self.wait_one(roles, Some(name), "exact").await
    }

    /// Like [`Browser::role`] but the accessible name only has to contain `part`.
    pub async fn role_containing(&self, roles: &str, part: &str) -> Result<Element> {
        self.wait_one(roles, Some(part), "contains").await
    }

    /// Alias of [`Browser::role`], for readability in assertions ("find the Log in button").
    pub async fn find(&self, roles: &str, name: &str) -> Result<Element> {
        self.role(roles, name).await
    }

    async fn wait_one(&self, roles: &str, name: Option<&str>, mode: &str) -> Result<Element> {
        let timeout = default_timeout();
        let deadline = Instant::now() + timeout;
        loop {
            let (count, last_error) = match self.query_mode(roles, name, mode).await {
                Ok(mut found) if found.len() == 1 => return Ok(found.pop().expect("one")),
                Ok(found) => (found.len(), None),
                Err(error) => (0, Some(error.to_string())),
            };
            if Instant::now() >= deadline {
                let why = match (count, last_error) {
                    (_, Some(error)) => format!(" (last error: {error})"),
                    (0, None) => String::new(),
                    (n, None) => format!(": {n} elements match, make the query more specific"),
                };
                return Err(format!(
                    "timed out after {timeout:?} waiting for {roles} {name:?} on {}{why}",
                    self.label
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until no visible element has role `roles` and name `name`.
    pub async fn wait_gone(&self, roles: &str, name: &str) -> Result {
        let what = format!("{roles} {name:?} to disappear on {}", self.label);
        wait_until(&what, default_timeout(), || async {
            Ok(self
                .query(roles, Some(name))
                .await?
                .is_empty()
                .then_some(()))
        })
        .await
    }

    /// Whether a visible element with role `roles` and name `name` is there right now.
    pub async fn is_present(&self, roles: &str, name: &str) -> Result<bool> {
        Ok(!self.query(roles, Some(name)).await?.is_empty())
    }

    /// Clicks the element with role `roles` and name `name` once it is there.
    pub async fn click(&self, roles: &str, name: &str) -> Result {
        self.role(roles, name).await?.click().await?;
        Ok(())
    }

    /// Replaces the text of the textbox named `name` with `text` (typed, so the page sees input
    /// events).
    pub async fn fill(&self, name: &str, text: &str) -> Result {
        let field = self
            .role("textbox|combobox|searchbox|spinbutton", name)
            .await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Waits until the element with role `roles` and name `name` has text containing `part`.
    pub async fn wait_text(&self, roles: &str, name: &str, part: &str) -> Result<String> {
        let what = format!("{roles} {name:?} to contain {part:?} on {}", self.label);
        wait_until(&what, default_timeout(), || async {
            let Some(element) = self.query(roles, Some(name)).await?.pop() else {
                return Ok(None);
            };
            let text = element.text().await?;
            Ok(text.contains(part).then_some(text))
        })
        .await
    }

    /// An outline of every element with a role: `role "name" (states)`, indented by nesting.
    pub async fn roles_outline(&self) -> Result<String> {
        let snapshot = |scope: Value| async move {
            let outline = self
                .client
                .execute(
                    ROLES_JS,
                    vec![json!("*"), Value::Null, json!("snapshot"), scope],
                )
                .await?;
            Ok::<_, Error>(outline.as_str().unwrap_or_default().to_owned())
        };
        let mut outline = snapshot(Value::Null).await?;
        for root in self.closed_shadow_roots().await? {
            outline.push_str("\n\n(closed shadow root)\n");
            outline.push_str(&snapshot(root).await?);
        }
        Ok(outline)
    }

    /// Every console entry so far (chromedriver hands out each entry once; we keep them).
    pub async fn console(&self) -> Result<Vec<ConsoleEntry>> {
        let response = reqwest::Client::new()
            .post(format!("{}/se/log", self.session_url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await?;
        let body: Value = response.json().await?;
        let entries = body["value"].as_array().cloned().unwrap_or_default();
        let mut console = self.console.lock().expect("console");
        console.extend(entries.iter().map(|e| ConsoleEntry {
            level: e["level"].as_str().unwrap_or("?").to_owned(),
            message: e["message"].as_str().unwrap_or_default().to_owned(),
        }));
        Ok(console.clone())
    }

    /// Fails if the console has any error so far, except those whose message contains one of
    /// `allowed` (say, an expected `401` before login). `favicon.ico` is always allowed.
    pub async fn assert_no_console_errors_except(&self, allowed: &[&str]) -> Result {
        let errors: Vec<String> = self
            .console()
            .await?
            .into_iter()
            .filter(ConsoleEntry::is_error)
            .filter(|e| !e.message.contains("favicon.ico"))
            .filter(|e| !allowed.iter().any(|a| e.message.contains(a)))
            .map(|e| e.message)
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} has console errors:\n  {}",
                self.label,
                errors.join("\n  ")
            )
            .into())
        }
    }

    /// Fails if the console has any error so far.
    pub async fn assert_no_console_errors(&self) -> Result {
        self.assert_no_console_errors_except(&[]).await
    }

    /// Saves a PNG screenshot of the window to `path`.
    pub async fn screenshot_to(&self, path: &Path) -> Result {
        let png = self.client.screenshot().await?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Saves what helps to understand a failure; never fails itself.
    async fn save_artifacts(&self, dir: &Path) {
        let _ = std::fs::create_dir_all(dir);
        let base = dir.join(&self.label);
        let mut notes = Vec::new();
        if let Err(e) = self.screenshot_to(&base.with_extension("png")).await {
            notes.push(format!("screenshot failed: {e}"));
        }
        let mut console_text = String::new();
        match self.console().await {
            Ok(entries) => {
                for entry in entries {
                    let _ = writeln!(console_text, "[{}] {}", entry.level, entry.message);
                }
            }
            Err(e) => notes.push(format!("console log failed: {e}")),
        }
        let _ = std::fs::write(
            dir.join(format!("{}-console.log", self.label)),
            console_text,
        );
        match self.client.source().await {
            Ok(html) => {
                let _ = std::fs::write(base.with_extension("html"), html);
            }
            Err(e) => notes.push(format!("page source failed: {e}")),
        }
        match self.roles_outline().await {
            Ok(outline) => {
                let url = self.client.current_url().await.map(|u| u.to_string());
                let header = format!("{}\n\n", url.unwrap_or_default());
                let _ = std::fs::write(
                    dir.join(format!("{}-roles.txt", self.label)),
                    header + &outline,
                );
            }
            Err(e) => notes.push(format!("role outline failed: {e}")),
        }
        if !notes.is_empty() {
            let _ = std::fs::write(
                dir.join(format!("{}-notes.txt", self.label)),
                notes.join("\n") + "\n",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Flows many tests share.

/// Logs a demo agent in through the login form on `/` and waits for the desktop (the
/// "Chat channel status" control).
pub async fn login(browser: &Browser, user: &str, password: &str) -> Result {
    browser.goto("/").await?;
    browser.fill("Username", user).await?;
    browser.fill("Password", password).await?;
    browser.click("button", "Log in").await?;
    browser
        .role(CHANNEL_STATUS_ROLES, "Chat channel status")
        .await?;
    Ok(())
}

/// The roles the "Chat channel status" control may have (a select, or a menu button).
pub const CHANNEL_STATUS_ROLES: &str = "combobox|button|radiogroup|group";

/// With `THREADLINE_SCREENSHOT=1`, saves a screenshot of `browser` to `docs/desktop.png` (the
/// README's picture). Does nothing otherwise.
pub async fn save_readme_screenshot(browser: &Browser) -> Result {
    if std::env::var("THREADLINE_SCREENSHOT").as_deref() == Ok("1") {
        let path = root().join("docs/desktop.png");
        browser.screenshot_to(&path).await?;
        println!("saved {}", path.display());
    }
    Ok(())
}
