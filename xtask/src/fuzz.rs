//! `cargo xtask fuzz [seconds]`: the API under schemathesis and the parsers under libFuzzer;
//! `cargo xtask test` runs the same with a short budget ([`QUICK`]).
//!
//! # Layout
//! - [`api`]: schemathesis (a pinned release in a virtualenv under `target/xtask/`) against the
//!   running server's `/api/openapi.json`, logged in as a demo agent and as a visitor
//!   (`xtask/schemathesis/hooks.py`), every phase including the stateful one: no answer may be a
//!   5xx, and every status, content type and body must be the one the document declares.
//! - [`targets`]: each cargo-fuzz target in `fuzz/` for a fixed time, first replaying
//!   `fuzz/regressions/<target>/` (inputs that once failed, kept forever) and the seeds
//!   (`fuzz/seeds/<target>/`; the image target also starts from the demo data's pictures).
//!
//! cargo-fuzz passes libFuzzer's coverage flags to rustc, which on a stable toolchain needs
//! `RUSTC_BOOTSTRAP=1`; the targets are built without a sanitizer (`-s none`): the code under
//! test is safe Rust, so what fuzzing finds is panics, failed assertions, hangs and memory
//! blow-ups, which libFuzzer reports without one.

use std::path::PathBuf;
use std::time::Duration;

use crate::server::Server;
use crate::util::{self, cargo, cmd, step, Error, Result};

/// The schemathesis release we run (from PyPI, into a virtualenv of its own).
const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// The fuzz targets in `fuzz/fuzz_targets/`.
const TARGETS: [&str; 4] = ["identity", "image", "text", "bodies"];

/// How long each part runs.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// The whole schemathesis run.
    pub api: Duration,
    /// Each fuzz target.
    pub per_target: Duration,
    /// schemathesis: a fixed seed and a cap on cases per operation make a run repeatable (the
    /// quick form in CI must not pass or fail by luck); none for the long runs, which should
    /// explore anew each time.
    pub repeatable: Option<(u64, u32)>,
}

/// What `cargo xtask test` spends: enough to catch a route that answers 5xx or off-document,
/// and a parser that panics on the easy cases.
pub const QUICK: Budget = Budget {
    api: Duration::from_secs(90),
    per_target: Duration::from_secs(20),
    repeatable: Some((13, 40)),
};

/// `cargo xtask fuzz` without a number.
pub const LONG: Budget = Budget {
    api: Duration::from_mins(10),
    per_target: Duration::from_mins(5),
    repeatable: None,
};

/// `cargo xtask fuzz`: both, the long way.
pub fn run(budget: Budget) -> Result<()> {
    crate::tools::start_build_tools(crate::tools::Fuzzing::Too)?.wait()?;
    let api_result = api(budget);
    let targets_result = targets(budget);
    api_result.and(targets_result)
}

/// Schemathesis against a running demo server.
pub fn api(budget: Budget) -> Result<()> {
    let schemathesis = ensure_schemathesis()?;
    let server = Server::start()?;
    let base = server.base();
    step(&format!(
        "schemathesis against {base}/api/openapi.json for {} s",
        budget.api.as_secs()
    ));
    let hooks = util::root().join("xtask").join("schemathesis");
    let report = util::target_dir().join("xtask").join("schemathesis");
    let repeatable: Vec<String> = match budget.repeatable {
        Some((seed, cases)) => vec![
            "--seed".into(),
            seed.to_string(),
            "--max-examples".into(),
            cases.to_string(),
            "--generation-database".into(),
            "none".into(),
        ],
        None => Vec::new(),
    };
    cmd(&schemathesis)
        .args(["run", &format!("{base}/api/openapi.json")])
        .args(["--max-time", &budget.api.as_secs().to_string()])
        .args(["--checks", CHECKS])
        // Ending the session under test, or changing its password, would turn every later
        // call into a 401; the streams never end. Each has its own tests.
        .args(["--exclude-path", "/api/auth/logout"])
        .args(["--exclude-path", "/api/auth/password"])
        .args(["--exclude-path", "/api/events"])
        .args(["--exclude-path", "/api/visitor/events"])
        .args(["--workers", "1", "--request-timeout", "20"])
        .args(&repeatable)
        .args(["--report", "junit", "--report-dir"])
        .args([report.as_os_str()])
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", &hooks)
        .env("THREADLINE_BASE", &base)
        .env("NO_COLOR", "1")
        .run()
}

/// The checks every answer must pass.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance";

/// A virtualenv with the pinned schemathesis; its `schemathesis` executable.
fn ensure_schemathesis() -> Result<PathBuf> {
    let venv = util::target_dir()
        .join("xtask")
        .join(format!("schemathesis-{SCHEMATHESIS_VERSION}"));
    let exe = venv.join("bin").join("schemathesis");
    if let Some(found) = cmd(&exe).args(["--version"]).probe() {
        if found.contains(SCHEMATHESIS_VERSION) {
            return Ok(exe);
        }
    }
    step(&format!(
        "installing schemathesis {SCHEMATHESIS_VERSION} from PyPI"
    ));
    cmd("python3")
        .args(["-m", "venv"])
        .args([venv.as_os_str()])
        .run()?;
    cmd(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args([format!("schemathesis=={SCHEMATHESIS_VERSION}")])
        .run()?;
    Ok(exe)
}

/// Every fuzz target for `budget.per_target`.
pub fn targets(budget: Budget) -> Result<()> {
    let root = util::root();
    let fuzz = root.join("fuzz");
    let mut failed = Vec::new();
    for target in TARGETS {
        step(&format!(
            "fuzzing `{target}` for {} s",
            budget.per_target.as_secs()
        ));
        // libFuzzer adds what it finds to the first directory (scratch); the others are read.
        let scratch = util::target_dir().join("fuzz-corpus").join(target);
        std::fs::create_dir_all(&scratch)?;
        let mut corpora = vec![scratch];
        for kept in ["regressions", "seeds"] {
            let dir = fuzz.join(kept).join(target);
            if dir.is_dir() {
                corpora.push(dir);
            }
        }
        if target == "image" {
            // The demo data's pictures: real PNG and JPEG files to mutate from.
            corpora.push(root.join("crates/api/assets/seed"));
        }
        let result = cargo()
            .args(["fuzz", "run", "--sanitizer", "none", "--release", target])
            .args(&corpora)
            .args([
                "--".to_string(),
                format!("-max_total_time={}", budget.per_target.as_secs()),
                "-rss_limit_mb=2048".into(),
                "-timeout=10".into(),
                "-print_final_stats=1".into(),
            ])
            .current_dir(&root)
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_DIR", util::target_dir().join("fuzz"))
            .run();
        if let Err(error) = result {
            println!(
                "FAILED: fuzz target `{target}`: {error}; the input is in fuzz/artifacts/{target}/ \
                 (copy it into fuzz/regressions/{target}/ once fixed)"
            );
            failed.push(target);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "fuzz targets failed: {}",
            failed.join(", ")
        )))
    }
}
