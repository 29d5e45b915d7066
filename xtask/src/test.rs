//! `cargo xtask test`: everything CI checks, in order, with a summary at the end.
//!
//! # Layout
//! - [`run`]: tools, bundles, Postgres, then the checks (formatting, clippy, bundle sizes
//!   against their budgets, the quick forms of `cargo xtask fuzz`, tests); every check runs even after an
//!   earlier one failed (one run shows every problem), and the exit code is non-zero if any did.
//! - [`run_tests`]: `cargo test --workspace` with its output passed through line by line while
//!   the `Running …` / `test result:` lines are collected for the summary.
//!
//! The browser tests in the root `tests/` read `CHROMEDRIVER`, `CHROMIUM`,
//! `THREADLINE_DESKTOP_DIR`, `THREADLINE_WIDGET_DIR` and `THREADLINE_AXE_JS` (axe-core's
//! script, installed from npm); the API tests read `THREADLINE_TEST_PG`
//! and then run against Postgres as well as `SQLite`.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::bundles;
use crate::tools;
use crate::util::{self, cargo, human_duration, step, Error, Result};

/// Test threads per test binary. The browser tests limit how many of them drive browsers at
/// once themselves (`THREADLINE_E2E_PARALLEL`), so this mostly lets the API tests overlap their
/// database waits. Override with `THREADLINE_TEST_THREADS`.
const DEFAULT_TEST_THREADS: usize = 4;

/// One check and how it went.
struct Outcome {
    name: &'static str,
    took: Duration,
    ok: bool,
}

/// Runs the whole suite.
pub fn run() -> Result<()> {
    let started = Instant::now();
    let installs = tools::start_build_tools(tools::Fuzzing::Too)?;
    tools::ensure_browser()?;
    let axe = tools::ensure_axe_core()?;
    tools::ensure_postgres()?;
    bundles::compile_ahead()?;
    installs.wait()?;
    bundles::build_all()?;

    let mut outcomes = Vec::new();
    let mut check = |name: &'static str, f: &mut dyn FnMut() -> Result<()>| {
        step(name);
        let t = Instant::now();
        let result = f();
        if let Err(error) = &result {
            println!("FAILED: {name}: {error}");
        }
        outcomes.push(Outcome {
            name,
            took: t.elapsed(),
            ok: result.is_ok(),
        });
    };

    check("formatting (cargo fmt --all --check)", &mut || {
        cargo().args(["fmt", "--all", "--check"]).run()
    });
    check("clippy, native, all targets", &mut || {
        cargo()
            .args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .run()
    });
    check("clippy, wasm32 (desktop, widget, console)", &mut || {
        cargo()
            .args(["clippy", "-p", "threadline", "-p", "threadline-widget"])
            .args(["-p", "threadline-console"])
            .args(["--target", "wasm32-unknown-unknown", "--", "-D", "warnings"])
            .run()
    });
    check(
        "bundle sizes within the budgets (as bench size)",
        &mut || crate::size::within_budget(),
    );
    check(
        "API fuzzing (schemathesis, 90 s; longer with `cargo xtask fuzz`)",
        &mut || crate::fuzz::api(crate::fuzz::QUICK),
    );
    check("fuzz targets (cargo-fuzz, 20 s each)", &mut || {
        crate::fuzz::targets(crate::fuzz::QUICK)
    });
    let mut results = Vec::new();
    check(
        "tests (cargo test --workspace; SQLite and PostgreSQL; browsers)",
        &mut || run_tests(&axe, &mut results),
    );

    print_summary(&outcomes, &results, started.elapsed());
    let failed: Vec<&str> = outcomes.iter().filter(|o| !o.ok).map(|o| o.name).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!("failed: {}", failed.join("; "))))
    }
}

/// `cargo test --workspace`, collecting `(test binary, result line)` pairs into `results`.
fn run_tests(axe: &std::path::Path, results: &mut Vec<(String, String)>) -> Result<()> {
    let root = util::root();
    let threads = std::env::var("THREADLINE_TEST_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(DEFAULT_TEST_THREADS);
    let desktop = root.join("dist");
    let widget = root.join("crates/widget/dist");
    let mut command = cargo()
        .args([
            "test",
            "--workspace",
            "--",
            &format!("--test-threads={threads}"),
        ])
        .current_dir(&root)
        .env("THREADLINE_TEST_PG", tools::TEST_PG_URL)
        .env("THREADLINE_DESKTOP_DIR", &desktop)
        .env("THREADLINE_WIDGET_DIR", &widget)
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        .env("THREADLINE_AXE_JS", axe)
        .env("CHROMIUM", tools::CHROMIUM);
    if std::io::stdout().is_terminal() {
        command = command.env("CARGO_TERM_COLOR", "always");
    }
    println!(
        "$ THREADLINE_TEST_PG={} {}",
        tools::TEST_PG_URL,
        command.shown()
    );
    // stdout and stderr share one pipe, so cargo's `Running <binary>` (stderr) and that
    // binary's `test result:` (stdout) are read in the order they were written.
    let (reader, writer) = std::io::pipe()?;
    let mut child = command
        .into_command()
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .spawn()
        .map_err(|e| Error::new(format!("could not start cargo test: {e}")))?;
    // The write ends went with the command (dropped above); only cargo and its children hold
    // them now, so the reader ends when they do.
    let lines = BufReader::new(reader)
        .lines()
        .map_while(std::result::Result::ok);

    let mut current = String::from("?");
    for line in lines {
        println!("{line}");
        let _ = std::io::stdout().flush();
        let plain = strip_ansi(&line);
        let trimmed = plain.trim();
        if let Some(rest) = trimmed.strip_prefix("Running ") {
            rest.clone_into(&mut current);
        } else if let Some(rest) = trimmed.strip_prefix("Doc-tests ") {
            current = format!("doc-tests {rest}");
        } else if trimmed.starts_with("test result:") {
            results.push((current.clone(), trimmed.to_owned()));
        }
    }
    let status = child.wait()?;
    if status.success() {
        tools::drop_test_databases();
        Ok(())
    } else {
        Err(Error::new(format!("cargo test failed ({status})")))
    }
}

fn print_summary(outcomes: &[Outcome], results: &[(String, String)], total: Duration) {
    println!("\n==> summary ({} in all)", human_duration(total));
    for outcome in outcomes {
        let mark = if outcome.ok { "ok    " } else { "FAILED" };
        println!(
            "  {mark} {:<62} {}",
            outcome.name,
            human_duration(outcome.took)
        );
    }
    let (mut passed, mut failed, mut ignored) = (0_u64, 0_u64, 0_u64);
    if !results.is_empty() {
        println!("  test binaries:");
    }
    for (binary, line) in results {
        passed += count(line, "passed");
        failed += count(line, "failed");
        ignored += count(line, "ignored");
        if count(line, "passed") + count(line, "failed") > 0 || line.contains("FAILED") {
            println!("    {binary}\n      {line}");
        }
    }
    if !results.is_empty() {
        println!("  tests: {passed} passed, {failed} failed, {ignored} ignored");
    }
}

/// The number before `word` in a `test result:` line (`… 12 passed; 0 failed; …`).
fn count(line: &str, word: &str) -> u64 {
    line.split(';')
        .filter_map(|part| {
            let mut words = part.split_whitespace().rev();
            let last = words.next()?;
            (last == word).then(|| words.next()?.parse::<u64>().ok())?
        })
        .sum()
}

/// Removes terminal colour codes (`ESC [ … m`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_test_result_fields() {
        let line = "test result: ok. 12 passed; 1 failed; 3 ignored; 0 measured; 0 filtered out; \
                    finished in 0.52s";
        assert_eq!(count(line, "passed"), 12);
        assert_eq!(count(line, "failed"), 1);
        assert_eq!(count(line, "ignored"), 3);
    }

    #[test]
    fn strips_colours() {
        assert_eq!(
            strip_ansi("\u{1b}[1m\u{1b}[32m     Running\u{1b}[0m x"),
            "     Running x"
        );
    }
}
