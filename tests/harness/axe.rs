//! axe-core over the screen a browser shows: WCAG 2.0 and 2.1 rules, levels A and AA. Every
//! browser test's last screen is checked when it asserts a clean console, and tests check the
//! screens on their way with [`Browser::assert_accessible`]. A violation fails the test with
//! its rule, the elements and the help text.
//!
//! The script is axe-core's `axe.min.js` from npm: `cargo xtask test` installs it and passes
//! its path as `THREADLINE_AXE_JS`; without that variable the copy xtask installed is used.

use super::{Browser, Result};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The rule sets checked.
const TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
/// Where `cargo xtask test` installs axe-core (see `xtask/src/tools.rs`).
const INSTALLED: &str = "threadline-tools/axe-core-4.14.1/node_modules/axe-core/axe.min.js";
/// How many elements of one rule's violations are named in the failure.
const NODES_SHOWN: usize = 5;

/// axe-core's script, read once per test binary.
fn script() -> Result<&'static str> {
    static SCRIPT: OnceLock<std::result::Result<String, String>> = OnceLock::new();
    let loaded = SCRIPT.get_or_init(|| {
        let path = std::env::var_os("THREADLINE_AXE_JS")
            .map(PathBuf::from)
            .or_else(|| {
                let cargo = std::env::var_os("CARGO_HOME")
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo"))
                    })?;
                Some(cargo.join(INSTALLED))
            })
            .ok_or_else(|| "no THREADLINE_AXE_JS and no home folder".to_owned())?;
        std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "axe-core is not at {} ({e}): run `cargo xtask test` once to install it, or set \
                 THREADLINE_AXE_JS to its axe.min.js",
                path.display()
            )
        })
    });
    loaded.as_deref().map_err(|e| e.clone().into())
}

/// Runs axe-core in the current frame and hands back its violations, trimmed to what a
/// failure message needs.
const RUN_AXE: &str = r"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
  .then((r) => done(r.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    url: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target.join(' '), why: n.failureSummary })),
  }))))
  .catch((e) => done({ error: String(e) }));
";

impl Browser {
    /// Fails, naming each rule, its elements and its help text, if axe-core finds a WCAG 2.0/2.1
    /// A or AA violation on what this browser shows now (in the frame it is in); `screen` names
    /// the screen in the failure.
    pub async fn assert_accessible(&self, screen: &str) -> Result {
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await?;
        if loaded != Value::Bool(true) {
            let source = script()?;
            self.client
                .execute(&format!("{source}\n;return true;"), vec![])
                .await?;
        }
        let found = self
            .client
            .execute_async(RUN_AXE, vec![json!(TAGS)])
            .await?;
        if let Some(error) = found.get("error") {
            return Err(format!("axe-core failed on {screen}: {error}").into());
        }
        let violations = found.as_array().cloned().unwrap_or_default();
        if violations.is_empty() {
            return Ok(());
        }
        let mut report = format!(
            "{} violation(s) of WCAG A/AA on {screen} ({}):",
            violations.len(),
            self.label
        );
        for v in &violations {
            let _ = write!(
                report,
                "\n- {} ({}): {} <{}>",
                v["rule"].as_str().unwrap_or("?"),
                v["impact"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                v["url"].as_str().unwrap_or("")
            );
            for n in v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .take(NODES_SHOWN)
            {
                let _ = write!(
                    report,
                    "\n    {}: {}",
                    n["target"].as_str().unwrap_or("?"),
                    n["why"].as_str().unwrap_or("").replace('\n', " ")
                );
            }
        }
        Err(report.into())
    }
}
