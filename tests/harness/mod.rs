//! The browser test harness: a real server, real Chromium windows, queries by role and name.
//!
//! # Layout
//! - [`run`]: the frame every browser test runs in. It starts the API in-process on
//!   `127.0.0.1:0` with a fresh temporary `SQLite` file and the demo data, hands the test a
//!   [`Harness`], and afterwards closes every browser and stops the server. When the test fails
//!   (error or panic), or when any page or frame of any of its browsers crashed (an uncaught
//!   error, an unhandled rejection, a logged panic: see [`Browser::crashes`]), it first saves, per browser, a screenshot, the console log, the page source
//!   and an outline of roles and names under `target/e2e-artifacts/<test name>/`.
//! - [`Harness`]: the server's address and [`Harness::browser`] to open more browser windows
//!   (an agent, a visitor, a second agent …), all at once.
//! - [`Browser`]: one Chromium session. Find things as a person would name them:
//!   [`Browser::find`] / [`Browser::role`] (`"button"`, `"Log in"`), fill and click by role,
//!   wait for a condition ([`wait_until`]; never a fixed sleep), read the console and assert it
//!   has no errors; [`Browser::assert_accessible`] runs axe-core over the screen (the last
//!   screen of every test is checked with the console).
//! - [`login`]: logs a demo agent in through the login form.
//! - The widget: [`Browser::open_widget`] presses `Chat with us` and switches into the chat
//!   panel's frame (role queries then search the panel), [`Browser::leave_widget`] switches
//!   back, [`Browser::launcher_unread`] reads the launcher's unread announcement.
//! - Coming back later: [`Browser::quit`] ends a session, [`Harness::browser_like`] opens a new
//!   one on the same profile (same storage); [`Browser::leave_page`] only leaves the page.
//! - A dropped network: [`Browser::hook_event_streams`] (before the page loads; the hook is
//!   installed in every frame, the widget's iframe too), then [`Browser::cut_event_streams`] /
//!   [`Browser::restore_event_streams`] (on the streams of the frame the browser is in).
//! - The keyboard: [`Browser::press`] types on whatever has the focus,
//!   [`Browser::wait_focused`] waits until a control (found by role and name) has it.
//! - Files to upload ([`Files`], [`TINY_PNG`], [`solid_png`], [`SVG`]) go in through [`Browser::choose_file`].
//! - The other party over HTTP: [`ApiUser`] (an agent or a visitor), and signed customer
//!   identities ([`identity_for`]).
//! - Other origins: [`PageServer`] serves one page from a second loopback server (a portal
//!   that frames the desktop); [`Browser::goto_url`] opens it, [`Browser::enter_frame`] /
//!   [`Browser::leave_frame`] switch into a frame by title and back;
//!   [`Harness::browser_with_args`] passes more Chromium switches.
//! - Chromedriver: one process per test binary, started on first use on a free port, stopped when
//!   the test binary exits (a small shell watches our stdin pipe).
//!
//! Environment (all optional; `cargo xtask test` sets them): `CHROMEDRIVER` (default
//! `/usr/bin/chromedriver`), `CHROMIUM` (`/usr/bin/chromium`), `THREADLINE_DESKTOP_DIR`
//! (`<root>/dist`), `THREADLINE_WIDGET_DIR` (`<root>/crates/widget/dist`),
//! `THREADLINE_AXE_JS` (axe-core's `axe.min.js`; default: where xtask installs it),
//! `THREADLINE_E2E_TIMEOUT_SECS` (default 20: how long a wait may take),
//! `THREADLINE_E2E_PARALLEL` (default 2: tests driving browsers at the same time),
//! `THREADLINE_SCREENSHOT=1` (write the README's pictures in `docs/`, see
//! [`save_readme_screenshot`]).

// Each test binary uses a different part of the harness.
#![allow(dead_code)]

mod axe;

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
    /// The server's SQLite database, for a test that must put in what no route can yet.
    database_url: String,
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
    let console_dir = env_path("THREADLINE_CONSOLE_DIR", || {
        root().join("crates/console/dist")
    });
    for (what, dir) in [
        ("desktop", &desktop_dir),
        ("widget", &widget_dir),
        ("console", &console_dir),
    ] {
        let built = std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        });
        assert!(
            built,
            "the {what} bundle is not built ({} has no .wasm file); run `cargo xtask test` (or \
             `cargo xtask bench size`, which builds the bundles) or point THREADLINE_DESKTOP_DIR / \
             THREADLINE_WIDGET_DIR at built bundles",
            dir.display()
        );
    }
    if let Err(error) = driver() {
        panic!("{error}");
    }

    let data = tempfile::tempdir().expect("temporary directory");
    let database_url = Config::sqlite_url(&data.path().join("threadline.db"));
    let mut config = Config::new(database_url.clone());
    config.desktop_dir = Some(desktop_dir);
    config.widget_dir = Some(widget_dir);
    config.console_dir = Some(console_dir);
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
            database_url,
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
    // A crash fails the test even if every step passed: it can never pass silently.
    let mut failure = failure;
    for browser in &browsers {
        let crashes = browser.crashes().await;
        if !crashes.is_empty() {
            let text = format!(
                "{} crashed (uncaught error, unhandled rejection or panic):\n  {}",
                browser.label,
                crashes.join("\n  ")
            );
            failure = Some(match failure {
                Some(earlier) => format!("{earlier}\n{text}"),
                None => text,
            });
        }
    }
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

    /// The URL of this test's SQLite database (the server has it open too).
    pub fn database_url(&self) -> &str {
        &self.inner.database_url
    }

    /// The test's name (artifacts go under it).
    pub fn test_name(&self) -> &str {
        &self.inner.test
    }

    /// Opens a new Chromium window (1280×800) labelled `label` (`"agent"`, `"visitor"`: used in
    /// artifact file names), on a fresh profile.
    pub async fn browser(&self, label: &str) -> Result<Browser> {
        let profile = tempfile::Builder::new()
            .prefix("threadline-chromium-")
            .tempdir()?;
        self.browser_on_profile(label, Arc::new(profile), &[]).await
    }

    /// [`Harness::browser`] with more Chromium switches (`--test-third-party-cookie-phaseout`).
    pub async fn browser_with_args(&self, label: &str, extra: &[&str]) -> Result<Browser> {
        let profile = tempfile::Builder::new()
            .prefix("threadline-chromium-")
            .tempdir()?;
        self.browser_on_profile(label, Arc::new(profile), extra)
            .await
    }

    /// Opens a new Chromium session on the profile (user data directory) of an earlier one, so
    /// it finds the same `localStorage` and cookies: the same person coming back later. Quit the
    /// earlier session first ([`Browser::quit`]); two Chromiums cannot share a profile.
    pub async fn browser_like(&self, label: &str, earlier: &Browser) -> Result<Browser> {
        self.browser_on_profile(label, earlier.profile.clone(), &[])
            .await
    }

    async fn browser_on_profile(
        &self,
        label: &str,
        profile: Arc<tempfile::TempDir>,
        extra: &[&str],
    ) -> Result<Browser> {
        let driver = driver()?;
        let chromium = env_path("CHROMIUM", || "/usr/bin/chromium".into());
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(str::to_owned)
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": args }),
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
            profile,
        };
        self.inner
            .browsers
            .lock()
            .expect("browsers")
            .push(browser.clone());
        // Uncaught errors reach the console log without their stack; log the stack too (a
        // debug bundle's stack names the Rust function that panicked).
        browser
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": ERROR_STACK_JS }),
            )
            .await?;
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
    profile: Arc<tempfile::TempDir>,
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

    /// Clicks the element with role `roles` and name `name` once it is there (found again if
    /// the page re-rendered it between finding and clicking).
    pub async fn click(&self, roles: &str, name: &str) -> Result {
        self.click_mode(roles, name, "exact").await
    }

    /// Like [`Browser::click`] but the accessible name only has to contain `part`.
    pub async fn click_containing(&self, roles: &str, part: &str) -> Result {
        self.click_mode(roles, part, "contains").await
    }

    async fn click_mode(&self, roles: &str, name: &str, mode: &str) -> Result {
        let mut attempts = 0;
        loop {
            let element = self.wait_one(roles, Some(name), mode).await?;
            match element.click().await {
                Ok(()) => return Ok(()),
                Err(e) if attempts < 5 && e.to_string().contains("stale element") => {
                    attempts += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
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

    /// Clicks the button `button` and waits for the file it downloads, whose name starts with
    /// `prefix` and ends with `.{extension}` (saved in a folder of its own); its text.
    pub async fn download(&self, button: &str, prefix: &str, extension: &str) -> Result<String> {
        let files = Files::new()?;
        let dir = files.dir.path().to_path_buf();
        self.cdp(
            "Browser.setDownloadBehavior",
            serde_json::json!({"behavior": "allow", "downloadPath": dir.to_string_lossy()}),
        )
        .await?;
        self.click("button", button).await?;
        let what = format!("the download of {button:?} on {}", self.label);
        wait_until(&what, default_timeout(), || async {
            for entry in std::fs::read_dir(&dir)?.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with(prefix)
                    && path
                        .extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case(extension))
                {
                    return Ok(Some(std::fs::read_to_string(path)?));
                }
            }
            Ok(None)
        })
        .await
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
    /// Also checks the screen it ends on with axe-core ([`Browser::assert_accessible`]).
    pub async fn assert_no_console_errors_except(&self, allowed: &[&str]) -> Result {
        let url = self.client.current_url().await?;
        self.assert_accessible(&format!("the last screen ({})", url.path()))
            .await?;
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

    /// Every crash so far (an uncaught error, an unhandled rejection, a panic) in any page or
    /// frame this browser showed; read from the kept entries when the session is closed.
    pub async fn crashes(&self) -> Vec<String> {
        let entries = match self.console().await {
            Ok(entries) => entries,
            Err(_) => self.console.lock().expect("console").clone(),
        };
        entries
            .into_iter()
            .filter(|e| CRASH_MARKS.iter().any(|m| e.message.contains(m)))
            .map(|e| e.message)
            .collect()
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

/// With `THREADLINE_SCREENSHOT=1`, saves a screenshot of `browser` to `docs/<file>` (one of
/// the README's pictures). Does nothing otherwise.
pub async fn save_readme_screenshot(browser: &Browser, file: &str) -> Result {
    if std::env::var("THREADLINE_SCREENSHOT").as_deref() == Ok("1") {
        let path = root().join("docs").join(file);
        browser.screenshot_to(&path).await?;
        println!("saved {}", path.display());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// More of one browser: the widget's frame, files, cut streams, text anywhere, quitting.

/// Installed in every new document of every browser and frame: logs every uncaught error and
/// unhandled promise rejection with its stack, under a prefix [`CRASH_MARKS`] knows.
const ERROR_STACK_JS: &str = r"Error.stackTraceLimit = 40;
window.addEventListener('error', (event) => {
  const e = event.error;
  console.error('uncaught error: ' + ((e && e.stack) || event.message));
});
window.addEventListener('unhandledrejection', (event) => {
  const r = event.reason;
  console.error('unhandled rejection: ' + ((r && r.stack) || r));
});";

/// What a crash leaves in the console: the listeners of [`ERROR_STACK_JS`], Chromium's own
/// report of an uncaught exception, and the panic hooks of both browser apps.
const CRASH_MARKS: &[&str] = &[
    "uncaught error: ",
    "unhandled rejection: ",
    "Uncaught ",
    "panicked at ",
    "RuntimeError",
];

/// For [`Browser::focus_elsewhere`]: `""` if `arguments[0]` has the keyboard focus, else a short
/// description of what has it (the innermost active element this frame can see).
const FOCUS_JS: &str = r"const el = arguments[0];
if (el.getRootNode().activeElement === el && el.ownerDocument.hasFocus()) return '';
if (!document.hasFocus()) return 'another frame or window (this frame does not have the focus)';
let active = document.activeElement;
while (active && active.shadowRoot && active.shadowRoot.activeElement) {
  active = active.shadowRoot.activeElement;
}
if (!active) return 'nothing';
const label = active.getAttribute('aria-label') || active.id || '';
return '<' + active.localName + (label ? ' ' + JSON.stringify(label) : '') + '>';";

/// Installed in every new document of a browser by [`Browser::hook_event_streams`]: keeps each
/// `EventSource` the page opens, so a test can cut them all as a dropped network would (close,
/// then an `error` event), and keep new ones failing until it restores them.
const STREAM_HOOK_JS: &str = r"(() => {
  const Original = window.EventSource;
  if (!Original || window.__threadlineStreams) return;
  const state = { blocked: false, opened: 0, live: [] };
  window.__threadlineStreams = state;
  const cut = (source) => {
    if (source.readyState !== 2) {
      source.close();
      source.dispatchEvent(new Event('error'));
    }
  };
  state.cut = () => { state.blocked = true; state.live.forEach(cut); };
  state.restore = () => { state.blocked = false; };
  function Hooked(url, init) {
    const source = new Original(url, init);
    state.opened += 1;
    state.live.push(source);
    if (state.blocked) setTimeout(() => cut(source), 0);
    return source;
  }
  Hooked.prototype = Original.prototype;
  Hooked.CONNECTING = 0; Hooked.OPEN = 1; Hooked.CLOSED = 2;
  window.EventSource = Hooked;
})();";

impl Browser {
    /// Ends this Chromium session (the window closes, its pages are gone; the profile stays
    /// for [`Harness::browser_like`]).
    pub async fn quit(&self) -> Result {
        // Keep the console: the crash check at the end of the test reads it.
        let _ = self.console().await;
        self.client.clone().close().await?;
        Ok(())
    }

    /// Leaves the current page for `about:blank`: the page is gone (its streams close), the
    /// browser and its storage stay.
    pub async fn leave_page(&self) -> Result {
        self.client.goto("about:blank").await?;
        Ok(())
    }

    /// Reloads the current page.
    pub async fn reload(&self) -> Result {
        self.client.refresh().await?;
        Ok(())
    }

    /// Lets the page's scripts run for up to `limit` (WebDriver's default is 30 s): a scroll
    /// through a long conversation runs in one script.
    pub async fn script_timeout(&self, limit: Duration) -> Result {
        self.client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                Some(limit),
                None,
                None,
            ))
            .await?;
        Ok(())
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        let response = reqwest::Client::new()
            .post(format!("{}/goog/cdp/execute", self.session_url))
            .json(&json!({ "cmd": cmd, "params": params }))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            return Err(format!("CDP {cmd} failed: {body}").into());
        }
        Ok(body["value"].clone())
    }

    /// Waits until the log named `name` (its `aria-label`) has loaded every image in it and
    /// shows its end, as a conversation opened at its newest message does; gives how many
    /// images it holds. An image that grows its row when it arrives moves the newest message
    /// out of view, so this times out.
    pub async fn wait_log_end_with_images(&self, name: &str) -> Result<u64> {
        let what = format!(
            "the {name:?} log at its end with its images loaded, on {}",
            self.label
        );
        let last = std::sync::Mutex::new(Value::Null);
        let found = wait_until(&what, default_timeout(), || async {
            let state = self
                .client
                .execute(
                    "const log = [...document.querySelectorAll('[role=log]')]\
                       .find(l => l.getAttribute('aria-label') === arguments[0]);\
                     if (!log) return null;\
                     const images = [...log.querySelectorAll('img')];\
                     return { images: images.length, loaded: images.every(i => i.complete),\
                       top: log.scrollTop, view: log.clientHeight, height: log.scrollHeight };",
                    vec![json!(name)],
                )
                .await?;
            let end = state["top"].as_f64().unwrap_or(0.0) + state["view"].as_f64().unwrap_or(0.0)
                >= state["height"].as_f64().unwrap_or(f64::MAX) - 1.0;
            let done = (state["loaded"] == true && end).then(|| state["images"].as_u64());
            if let Ok(mut l) = last.lock() {
                *l = state;
            }
            Ok(done.flatten())
        })
        .await;
        found
            .map_err(|e| format!("{e}; last seen: {:?}", last.lock().map(|l| l.to_string())).into())
    }

    /// The value `localStorage` holds under `key` in the page (or the frame the browser is in).
    pub async fn local_item(&self, key: &str) -> Result<Option<String>> {
        let value = self
            .client
            .execute(
                "return localStorage.getItem(arguments[0]);",
                vec![json!(key)],
            )
            .await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// Writes `value` under `key` in `localStorage` of the page (or the frame the browser is in).
    pub async fn set_local_item(&self, key: &str, value: &str) -> Result {
        self.client
            .execute(
                "localStorage.setItem(arguments[0], arguments[1]);",
                vec![json!(key), json!(value)],
            )
            .await?;
        Ok(())
    }

    /// Turns the page's network off (every request fails at once, in its frames too) or back
    /// on (CDP `Network.emulateNetworkConditions`).
    pub async fn network(&self, on: bool) -> Result {
        self.cdp("Network.enable", json!({})).await?;
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({ "offline": !on, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
        )
        .await?;
        Ok(())
    }

    /// Makes the page's requests to URLs matching any of `patterns` (`*` for any text) fail
    /// at once, as a dropped connection would, in its frames too; no pattern lets every
    /// request through again (CDP `Network.setBlockedURLs`).
    pub async fn block_urls(&self, patterns: &[&str]) -> Result {
        self.cdp("Network.enable", json!({})).await?;
        self.cdp("Network.setBlockedURLs", json!({ "urls": patterns }))
            .await?;
        Ok(())
    }

    /// From the next page load on, every `EventSource` the pages open can be cut with
    /// [`Browser::cut_event_streams`] and restored with [`Browser::restore_event_streams`].
    /// The script runs in every new document of the page's frames, so in the widget's
    /// (same-origin) iframe too; cut and restore act on the frame the browser is in.
    pub async fn hook_event_streams(&self) -> Result {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": STREAM_HOOK_JS }),
        )
        .await?;
        Ok(())
    }

    /// Drops every live event stream of the current page (as a lost connection would) and
    /// makes reconnection attempts fail until [`Browser::restore_event_streams`]. Returns how
    /// many streams the page had opened so far.
    pub async fn cut_event_streams(&self) -> Result<u64> {
        let opened = self
            .client
            .execute(
                "const s = window.__threadlineStreams; if (!s) return -1; s.cut(); return s.opened;",
                vec![],
            )
            .await?;
        match opened.as_i64() {
            Some(n) if n >= 0 => Ok(n.unsigned_abs()),
            _ => Err("the page has no stream hook (call hook_event_streams before goto)".into()),
        }
    }

    /// Lets the page's event streams connect again.
    pub async fn restore_event_streams(&self) -> Result {
        self.client
            .execute(
                "if (window.__threadlineStreams) window.__threadlineStreams.restore();",
                vec![],
            )
            .await?;
        Ok(())
    }

    /// How many event streams the current page has opened (with the hook installed).
    pub async fn event_streams_opened(&self) -> Result<u64> {
        let n = self
            .client
            .execute(
                "const s = window.__threadlineStreams; return s ? s.opened : 0;",
                vec![],
            )
            .await?;
        Ok(n.as_u64().unwrap_or(0))
    }

    /// Presses `keys` on whatever has the focus, one key after another, as a person at the
    /// keyboard would (no element is targeted or focused first). Special keys are
    /// `fantoccini::key::Key`s: `&Key::Tab.to_string()`, or `&(Key::Shift + "x")`.
    pub async fn press(&self, keys: &str) -> Result {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".to_owned());
        for key in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// Presses Alt and `key` together (a keyboard shortcut such as Alt+A).
    pub async fn press_alt(&self, key: char) -> Result {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        const ALT: char = '\u{E00A}';
        let actions = KeyActions::new("chord".to_owned())
            .then(KeyAction::Down { value: ALT })
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key })
            .then(KeyAction::Up { value: ALT });
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// Presses Tab until the control with role `roles` and name `name` has the focus, as a
    /// keyboard user moves through the page; fails when 80 presses never reach it (it cannot
    /// be reached by keyboard).
    pub async fn tab_to(&self, roles: &str, name: &str) -> Result {
        const MAX_TABS: usize = 80;
        let tab = fantoccini::key::Key::Tab.to_string();
        let mut last = String::new();
        for _ in 0..MAX_TABS {
            match self.focus_elsewhere(roles, name).await? {
                None => return Ok(()),
                Some(elsewhere) => last = elsewhere,
            }
            self.press(&tab).await?;
        }
        Err(format!(
            "{MAX_TABS} presses of Tab never reached {roles} {name:?} on {} (last on {last})",
            self.label
        )
        .into())
    }

    /// `None` if the element with role `roles` and name `name` (waited for as by
    /// [`Browser::role`]) has the keyboard focus: it is the active element of its document (or
    /// shadow root) and its document has the focus. Otherwise a short description of what has
    /// it. Searches the current frame, like the role queries.
    pub async fn focus_elsewhere(&self, roles: &str, name: &str) -> Result<Option<String>> {
        let element = self.role(roles, name).await?;
        let answer = self
            .client
            .execute(FOCUS_JS, vec![serde_json::to_value(&element)?])
            .await?;
        match answer.as_str() {
            Some("") => Ok(None),
            Some(elsewhere) => Ok(Some(elsewhere.to_owned())),
            None => Err(format!("the focus check returned {answer}").into()),
        }
    }

    /// Waits until the element with role `roles` and name `name` has the keyboard focus
    /// ([`Browser::focus_elsewhere`]).
    pub async fn wait_focused(&self, roles: &str, name: &str) -> Result {
        let what = format!("{roles} {name:?} to have the focus on {}", self.label);
        wait_until(&what, default_timeout(), || async {
            match self.focus_elsewhere(roles, name).await? {
                None => Ok(Some(())),
                Some(elsewhere) => Err(format!("the focus is on {elsewhere}").into()),
            }
        })
        .await
    }

    /// The widget's launcher (`<threadline-widget>`) host element's closed shadow root.
    async fn launcher_root(&self) -> Result<fantoccini::elements::ShadowRoot> {
        let what = format!("the chat launcher on {}", self.label);
        wait_until(&what, default_timeout(), || async {
            let host = self
                .client
                .find(fantoccini::Locator::Css("threadline-widget"))
                .await?;
            Ok(Some(host.shadow_root().await?))
        })
        .await
    }

    /// Waits for the widget loader's `window.Threadline`, then hands it a signed customer
    /// identity (as the company's page does for a logged-in customer).
    pub async fn identify(&self, identity: &str) -> Result {
        wait_until(
            "the loader's window.Threadline",
            default_timeout(),
            || async {
                let loaded = self
                    .client
                    .execute(
                        "return !!(window.Threadline && window.Threadline.loaded);",
                        vec![],
                    )
                    .await?;
                Ok(loaded.as_bool().unwrap_or(false).then_some(()))
            },
        )
        .await?;
        self.client
            .execute(
                "window.Threadline.identify(arguments[0]);",
                vec![json!(identity)],
            )
            .await?;
        Ok(())
    }

    /// Opens the chat panel (presses `Chat with us` unless the panel is open) and switches into
    /// its frame: role queries then search the panel. [`Browser::leave_widget`] switches back.
    pub async fn open_widget(&self) -> Result {
        let launcher = self.role("button", "Chat with us").await?;
        if launcher.attr("aria-expanded").await?.as_deref() != Some("true") {
            launcher.click().await?;
        }
        self.enter_widget().await
    }

    /// Where the chat panel's frame is on the page (left, top, width, height in CSS pixels);
    /// from the page, not from inside the frame.
    pub async fn widget_panel_rect(&self) -> Result<(f64, f64, f64, f64)> {
        let root = self.launcher_root().await?;
        let frame = root.find(fantoccini::Locator::Css("iframe")).await?;
        Ok(frame.rectangle().await?)
    }

    /// Switches into the chat panel's frame (it must exist: opened, or loaded in the background).
    pub async fn enter_widget(&self) -> Result {
        let root = self.launcher_root().await?;
        let what = format!("the chat panel frame on {}", self.label);
        let frame = wait_until(&what, default_timeout(), || async {
            Ok(Some(root.find(fantoccini::Locator::Css("iframe")).await?))
        })
        .await?;
        frame.enter_frame().await?;
        // The panel's own markup is there from the start; wait until its script has shown the
        // start form or the chat.
        let script = "const start = document.getElementById('tl-start'); \
                      const chat = document.getElementById('tl-chat'); \
                      return !!(start && chat && (!start.hidden || !chat.hidden));";
        wait_until("the chat panel to load", default_timeout(), || async {
            let loaded = self.client.execute(script, vec![]).await?;
            Ok(loaded.as_bool().unwrap_or(false).then_some(()))
        })
        .await
    }

    /// Opens an absolute `url` (a page on another origin than the test's server).
    pub async fn goto_url(&self, url: &str) -> Result {
        self.client.goto(url).await?;
        Ok(())
    }

    /// Switches into the `<iframe>` whose `title` is `title` (waiting for it): role queries
    /// then search that frame. [`Browser::leave_frame`] switches back to its parent.
    pub async fn enter_frame(&self, title: &str) -> Result {
        let css = format!("iframe[title=\"{title}\"]");
        let what = format!("the frame {title:?} on {}", self.label);
        let frame = wait_until(&what, default_timeout(), || async {
            Ok(self
                .client
                .find_all(fantoccini::Locator::Css(&css))
                .await?
                .pop())
        })
        .await?;
        frame.enter_frame().await?;
        Ok(())
    }

    /// Switches from a frame back to its parent.
    pub async fn leave_frame(&self) -> Result {
        self.client.enter_parent_frame().await?;
        Ok(())
    }

    /// Switches back from the chat panel's frame to the page.
    pub async fn leave_widget(&self) -> Result {
        self.client.enter_parent_frame().await?;
        Ok(())
    }

    /// What the launcher tells a screen reader about unread messages (`"2 unread messages"`,
    /// or empty), read from the page (not from inside the panel's frame).
    pub async fn launcher_unread(&self) -> Result<String> {
        let root = self.launcher_root().await?;
        let described = root.find(fantoccini::Locator::Css("#tl-unread")).await?;
        Ok(described.prop("textContent").await?.unwrap_or_default())
    }

    /// Waits until the launcher announces `text` (`"1 unread message"`).
    pub async fn wait_launcher_unread(&self, text: &str) -> Result {
        let what = format!("the launcher to announce {text:?} on {}", self.label);
        wait_until(&what, default_timeout(), || async {
            Ok((self.launcher_unread().await? == text).then_some(()))
        })
        .await
    }

    /// Puts `path` into the file input matched by CSS `selector` (file inputs have no role:
    /// people reach them through a button such as `Attach image`).
    pub async fn choose_file(&self, selector: &str, path: &Path) -> Result {
        let input = self.client.find(fantoccini::Locator::Css(selector)).await?;
        input.send_keys(&path.display().to_string()).await?;
        Ok(())
    }

    /// Waits until some visible element with one of `roles` (any name) has text containing
    /// `part`; returns that text.
    pub async fn wait_role_text(&self, roles: &str, part: &str) -> Result<String> {
        let what = format!("a {roles} containing {part:?} on {}", self.label);
        wait_until(&what, default_timeout(), || async {
            for element in self.query(roles, None).await? {
                let text = element.text().await?;
                if text.contains(part) {
                    return Ok(Some(text));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Waits until at least one visible element has role `roles` and name `name` (the same
    /// message may show in two places, say the Transcript and the Conversation tab); returns
    /// how many there are.
    pub async fn wait_some(&self, roles: &str, name: &str) -> Result<usize> {
        let what = format!("{roles} {name:?} on {}", self.label);
        wait_until(&what, default_timeout(), || async {
            let n = self.query(roles, Some(name)).await?.len();
            Ok((n > 0).then_some(n))
        })
        .await
    }

    /// The text of the element with role `roles` and name `name` right now (empty when absent).
    pub async fn text_of(&self, roles: &str, name: &str) -> Result<String> {
        match self.query(roles, Some(name)).await?.pop() {
            Some(element) => Ok(element.text().await?),
            None => Ok(String::new()),
        }
    }

    /// Chooses the option labelled `option` in the combobox (a `<select>`) named `name`.
    pub async fn select(&self, name: &str, option: &str) -> Result {
        let select = self.role("combobox", name).await?;
        select.select_by_label(option).await?;
        Ok(())
    }

    /// Types `text` into the field named `name` without clearing it first.
    pub async fn type_into(&self, name: &str, text: &str) -> Result {
        let field = self
            .role("textbox|combobox|searchbox|spinbutton", name)
            .await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// The current URL's path.
    pub async fn path(&self) -> Result<String> {
        Ok(self.client.current_url().await?.path().to_owned())
    }
}

/// How many times `needle` occurs in `haystack`.
pub fn occurrences(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

// ---------------------------------------------------------------------------------------------
// Test files and the API as a second party (an agent or a visitor the test plays by HTTP).

/// A 2×2 PNG (valid: the server reads its header and size).
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x44, 0x0c, 0x10, 0x0a, 0x00, 0x1f, 0xee, 0x03, 0xfd, 0x8b, 0x5f, 0x14, 0xd4, 0x00, 0x00, 0x00,
    0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A PNG of one colour, `width` × `height` pixels: a picture of a known size, for what its
/// size changes on the page.
pub fn solid_png(width: u32, height: u32) -> Result<Vec<u8>> {
    use std::io::Write;
    fn chunk(out: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) -> Result {
        out.extend(u32::try_from(data.len())?.to_be_bytes());
        out.extend(kind);
        out.extend(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&kind);
        crc.update(data);
        out.extend(crc.finalize().to_be_bytes());
        Ok(())
    }
    // 8-bit RGB, no interlace; each row its filter byte (none) and its pixels.
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    let mut row = vec![0u8];
    for _ in 0..width {
        row.extend([0x2e, 0x7d, 0x32]);
    }
    let mut pixels = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..height {
        pixels.write_all(&row)?;
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, *b"IHDR", &header)?;
    chunk(&mut out, *b"IDAT", &pixels.finish()?)?;
    chunk(&mut out, *b"IEND", &[])?;
    Ok(out)
}

/// An SVG: an image to people, refused by the server whatever its name says.
pub const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>"#;

/// Files for upload tests, in a temporary directory that lives as long as this value.
pub struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    /// An empty directory.
    pub fn new() -> Result<Files> {
        Ok(Files {
            dir: tempfile::Builder::new()
                .prefix("threadline-files-")
                .tempdir()?,
        })
    }

    /// Writes `bytes` to a file called `name` and returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes)?;
        Ok(path)
    }
}

/// The server's identity secret in the tests' configuration (the default one).
pub fn identity_secret() -> String {
    threadline_api::config::DEMO_IDENTITY_SECRET.to_owned()
}

/// A signed identity for customer `customer` (as the company's website would make it), valid
/// for an hour.
pub fn identity_for(customer: &str) -> String {
    threadline_api::auth::sign_identity(&identity_secret(), customer, unix_now() + 3600)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// A unique client message id for API sends.
pub fn client_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("test{nanos}x{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// An agent (or a visitor) talking to the test's server over HTTP with a bearer token.
#[derive(Clone)]
pub struct ApiUser {
    base_url: String,
    token: String,
    http: reqwest::Client,
}

impl ApiUser {
    /// Logs a demo agent in.
    pub async fn agent(h: &Harness, login: &str, password: &str) -> Result<ApiUser> {
        let http = reqwest::Client::new();
        let body: Value = ApiUser::check(
            http.post(h.url("/api/auth/login"))
                .json(&json!({ "login": login, "password": password }))
                .send()
                .await?,
        )
        .await?;
        let token = body["token"].as_str().ok_or("no token")?.to_owned();
        Ok(ApiUser {
            base_url: h.base_url().to_owned(),
            token,
            http,
        })
    }

    /// Starts a visitor session (a signed identity, or a new anonymous visitor named `name`).
    pub async fn visitor(h: &Harness, identity: Option<&str>, name: &str) -> Result<ApiUser> {
        let http = reqwest::Client::new();
        let body = ApiUser::check(
            http.post(h.url("/api/visitor/session"))
                .json(&json!({ "identity": identity, "name": name }))
                .send()
                .await?,
        )
        .await?;
        let token = body["visitor_token"]
            .as_str()
            .ok_or("no visitor token")?
            .to_owned();
        Ok(ApiUser {
            base_url: h.base_url().to_owned(),
            token,
            http,
        })
    }

    /// A visitor whose token a browser's widget holds.
    pub fn visitor_with_token(h: &Harness, token: &str) -> ApiUser {
        ApiUser {
            base_url: h.base_url().to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// The bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    async fn check(response: reqwest::Response) -> Result<Value> {
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            return Err(format!("the API answered {status}: {text}").into());
        }
        if text.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_str(&text)?)
    }

    /// `method path` with the token and, when given, a JSON body; fails on a 4xx/5xx.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        ApiUser::check(request.send().await?).await
    }

    /// `GET path` with the token; fails on a 4xx/5xx.
    pub async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// `POST path` with a JSON body and the token; fails on a 4xx/5xx.
    pub async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// `DELETE path` with the token; fails on a 4xx/5xx.
    pub async fn delete(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    /// `PUT path` with a JSON body and the token; fails on a 4xx/5xx.
    pub async fn put(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    /// The id of the first contact the agent's contact search finds for `q`.
    pub async fn contact_id(&self, q: &str) -> Result<i64> {
        let page = self
            .get(&format!("/api/contacts?q={}", q.replace(' ', "%20")))
            .await?;
        page["contacts"][0]["id"]
            .as_i64()
            .ok_or_else(|| format!("no contact found for {q:?}: {page}").into())
    }

    /// The agent writes `text` to contact `contact` (`source`: `interaction_view` or
    /// `communication_tab`).
    pub async fn write_to_contact(&self, contact: i64, text: &str, source: &str) -> Result<Value> {
        self.post(
            &format!("/api/contacts/{contact}/messages"),
            json!({ "client_id": client_id(), "text": text, "source": source }),
        )
        .await
    }

    /// The visitor writes `text`.
    pub async fn visitor_says(&self, text: &str) -> Result<Value> {
        self.post(
            "/api/visitor/messages",
            json!({ "client_id": client_id(), "text": text }),
        )
        .await
    }

    /// The agent goes Ready.
    pub async fn ready(&self) -> Result<Value> {
        self.put("/api/me/status", json!({ "status": { "state": "ready" } }))
            .await
    }

    /// Waits for an offer to this agent and accepts it; returns the interaction.
    pub async fn accept_next_offer(&self) -> Result<Value> {
        let id = wait_until("an offer to the API agent", default_timeout(), || async {
            let work = self.get("/api/interactions").await?;
            Ok(work["offers"]
                .as_array()
                .and_then(|offers| offers.first())
                .and_then(|o| o["interaction"]["id"].as_i64()))
        })
        .await?;
        self.post(&format!("/api/interactions/{id}/accept"), json!({}))
            .await
    }
}

// ---------------------------------------------------------------------------------------------
// Pages on other origins.

/// A second loopback server serving one HTML page at every path: a portal that frames the
/// desktop, or a stranger's page. Bound before the test's server starts, so its origin can go
/// in the configuration; [`PageServer::serve`] starts answering.
pub struct PageServer {
    listener: std::net::TcpListener,
}

impl PageServer {
    /// Binds `127.0.0.1:0`.
    pub fn bind() -> Result<PageServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        Ok(PageServer { listener })
    }

    /// The origin, with `host` (`127.0.0.1`, or `localhost` to be another site than the test's
    /// server).
    pub fn origin(&self, host: &str) -> Result<String> {
        Ok(format!(
            "http://{host}:{}",
            self.listener.local_addr()?.port()
        ))
    }

    /// Answers every request with `html` until the test ends (within a tokio runtime).
    pub fn serve(self, html: String) -> Result {
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        let html: Arc<str> = html.into();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let html = html.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut request = Vec::new();
                    let mut buf = [0u8; 2048];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
                         content-length: {}\r\ncache-control: no-store\r\n\
                         connection: close\r\n\r\n{html}",
                        html.len()
                    );
                    let _ = socket.write_all(answer.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Ok(())
    }
}

/// A long history for the tests and benchmarks of the windowed transcript: writes the demo
/// data and Quinn Archer, with `messages` messages (`text_of(n)` for the `n`-th, 1-based, one a
/// minute up to now, every other one Ann's) in `interactions` ended Web Chat interactions,
/// into the SQLite file at `url`, before the server under test starts on it.
pub async fn seed_long_conversation(
    url: &str,
    messages: usize,
    interactions: usize,
    text_of: fn(usize) -> String,
) -> Result {
    use threadline_api::store::{ImportedInteraction, ImportedMessage};
    use wire::{Channel, ContactId, DispositionCode};

    let mut config = Config::new(url.to_owned());
    config.seed_demo = true;
    let state = threadline_api::AppState::start(config).await?;
    let store = &state.store;
    let contact: ContactId = store
        .create_contact("Quinn", "Archer", Some("quinn.archer@example.com"), &[])
        .await?;
    let (agent, _) = store
        .agent_credentials(DEMO_AGENTS[0].0)
        .await?
        .ok_or("the demo agent ann is missing")?;
    let now = unix_now() * 1_000;
    let per = messages / interactions;
    for i in 0..interactions {
        let batch = (0..per)
            .map(|j| {
                let n = i * per + j + 1;
                let age = i64::try_from(messages - n).unwrap_or(0);
                ImportedMessage {
                    agent: n.is_multiple_of(2).then_some(agent),
                    text: text_of(n),
                    attachment: None,
                    at: now - age * 60_000,
                }
            })
            .collect();
        store
            .import_interaction(&ImportedInteraction {
                contact,
                channel: Channel::WebChat,
                agent: Some(agent),
                disposition: Some(DispositionCode("resolved".into())),
                messages: batch,
            })
            .await?;
    }
    store.mark_history_read().await?;
    state.stop();
    Ok(())
}
