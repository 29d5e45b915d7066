//! `cargo xtask bench <what>`: the benchmarks the project ships.
//!
//! # Layout
//! - [`Bench`]: one variant per benchmark; add new ones (`ui`, `api`) there and in
//!   [`Bench::parse`].
//! - `size`: what a browser transfers for each bundle, first and repeat visit, against the
//!   budgets from the product spec (in [`crate::size`]). Over budget is an error.
//! - `ui`: `benches/ui.rs` in headless Chromium against the release bundles: opening,
//!   scrolling and searching a 10,000-message conversation.
//! - `api`: `crates/api/examples/load.rs` against the release server, on `SQLite` and
//!   PostgreSQL, each run beside a peer measured with the same client in the same run: nginx
//!   with its pub/sub module nchan (Debian's `nginx` and `libnginx-mod-nchan`, installed here
//!   when missing), one EventSource channel per agent, one publish per visitor message. It
//!   prints both tables (latency, CPU per message, memory per idle stream) and the ratio
//!   Threadline ÷ nchan: nchan keeps messages in memory, the server commits each one, so the
//!   ratio is the cost of durability plus the server's fan-out.
//! - `cluster`: `crates/api/examples/cluster.rs`: two release servers on one fresh PostgreSQL
//!   database behind nginx (the proxy settings of `deploy/nginx/proxy.conf`), agents' streams
//!   on one, visitors on the other; the first is killed mid-run and every stream reconnects to
//!   the second and replays. It prints the cross-instance latency and reconnection times and
//!   fails on a lost or repeated message.
//! - `search`: `crates/api/examples/search.rs` against the release server: history search over
//!   1,000,000 messages, on `SQLite` and PostgreSQL.
//! - `reports`: `crates/api/examples/reports.rs` against the release server: every report
//!   grouping over 100,000 interactions and 1,000,000 messages, on `SQLite` and PostgreSQL.

use crate::bundles;
use crate::tools;
use crate::util::{cmd, Error, Result};

/// The benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bench {
    /// Bundle download sizes against the budgets.
    Size,
    /// Server load: message latency with many agents connected, memory per idle stream.
    Api,
    /// Two instances behind nginx, one killed mid-run.
    Cluster,
    /// The desktop in headless Chromium with a 10,000-message conversation.
    Ui,
    /// History search latency over 1,000,000 messages.
    Search,
    /// Report latency over 100,000 interactions and 1,000,000 messages.
    Reports,
}

impl Bench {
    const ALL: &'static [(&'static str, Bench, &'static str)] = &[
        (
            "size",
            Bench::Size,
            "bytes on the wire for the desktop and widget bundles, first and repeat visit, against the budgets",
        ),
        (
            "ui",
            Bench::Ui,
            "the desktop in Chromium: opening, scrolling and searching a 10,000-message conversation",
        ),
        (
            "api",
            Bench::Api,
            "message latency and CPU (1,000 agents, 1,000 msg/s) and memory for 10,000 idle streams, on SQLite and PostgreSQL, each beside nchan",
        ),
        (
            "cluster",
            Bench::Cluster,
            "two instances on PostgreSQL behind nginx (2,000 agents, 1,000 msg/s), one killed mid-run: cross-instance latency, reconnection, no gap and no duplicate",
        ),
        (
            "search",
            Bench::Search,
            "history search latency over 1,000,000 messages (p50/p95/p99 per kind of query), on SQLite and PostgreSQL",
        ),
        (
            "reports",
            Bench::Reports,
            "report latency and CPU per grouping over 100,000 interactions and 1,000,000 messages, on SQLite and PostgreSQL",
        ),
    ];

    /// Parses the arguments after `bench`.
    pub fn parse(args: &[String]) -> Result<Self> {
        let list = || {
            Self::ALL
                .iter()
                .map(|(name, _, what)| format!("  {name:<8} {what}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let Some(name) = args.first() else {
            return Err(Error::new(format!(
                "`cargo xtask bench` needs a benchmark:\n{}",
                list()
            )));
        };
        if let Some(extra) = args.get(1) {
            return Err(Error::new(format!(
                "`cargo xtask bench {name}` takes no further arguments (got `{extra}`)"
            )));
        }
        Self::ALL
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, bench, _)| *bench)
            .ok_or_else(|| Error::new(format!("unknown benchmark `{name}`; there is:\n{}", list())))
    }

    /// Runs it.
    pub fn run(self) -> Result<()> {
        match self {
            Bench::Size => size(),
            Bench::Api => api(),
            Bench::Cluster => cluster(),
            Bench::Ui => ui(),
            Bench::Search => search(),
            Bench::Reports => reports(),
        }
    }
}

/// Runs `benches/ui.rs` (release build) against the release bundles in headless Chromium.
fn ui() -> Result<()> {
    tools::ensure_browser()?;
    bundles::prepare()?;
    let [desktop, widget, console] = bundles::all();
    crate::util::cargo()
        .args(["bench", "--bench", "ui"])
        .env("THREADLINE_DESKTOP_DIR", &desktop.dist)
        .env("THREADLINE_WIDGET_DIR", &widget.dist)
        .env("THREADLINE_CONSOLE_DIR", &console.dist)
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        .env("CHROMIUM", tools::CHROMIUM)
        .run()
}

/// Runs the server's load benchmark (`crates/api/examples/load.rs`) with nchan beside it.
fn api() -> Result<()> {
    tools::ensure_nchan()?;
    on_both_databases(
        "load",
        &[
            "--nginx",
            tools::NGINX,
            "--nchan-module",
            tools::NCHAN_MODULE,
        ],
    )
}

/// Runs the history search benchmark (`crates/api/examples/search.rs`).
fn search() -> Result<()> {
    on_both_databases("search", &[])
}

/// Runs the reports benchmark (`crates/api/examples/reports.rs`).
fn reports() -> Result<()> {
    on_both_databases("reports", &[])
}

/// Runs the cluster benchmark (`crates/api/examples/cluster.rs`) on a fresh PostgreSQL
/// database, with Debian's nginx as the load balancer.
fn cluster() -> Result<()> {
    tools::ensure_nchan()?;
    let bin = build_examples("cluster")?;
    let ran = with_postgres_database("cluster", |url| {
        cmd(&bin)
            .args(["--nginx", tools::NGINX, "--database-url", url])
            .run()
    })?;
    ran.ok_or_else(|| Error::new("the cluster benchmark needs PostgreSQL on 127.0.0.1:5432"))
}

/// Builds the server and its examples in release; returns `example`'s binary.
fn build_examples(example: &str) -> Result<std::path::PathBuf> {
    cmd("cargo")
        .args([
            "build",
            "--release",
            "-p",
            "threadline-api",
            "--bins",
            "--examples",
        ])
        .run()?;
    Ok(crate::util::target_dir()
        .join("release/examples")
        .join(example))
}

/// Runs `run` with the URL of a fresh PostgreSQL database named after `example`, dropped
/// afterwards; `None` when 127.0.0.1:5432 does not answer.
fn with_postgres_database(
    example: &str,
    run: impl FnOnce(&str) -> Result<()>,
) -> Result<Option<()>> {
    let name = format!(
        "threadline_{example}_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    let psql = |sql: String| {
        cmd("psql")
            .args(["-h", "127.0.0.1", "-U", "postgres", "-c", &sql])
            .run()
    };
    if psql(format!("CREATE DATABASE {name}")).is_err() {
        return Ok(None);
    }
    let result = run(&format!("postgres://postgres@127.0.0.1:5432/{name}"));
    let _ = psql(format!("DROP DATABASE {name}"));
    result.map(Some)
}

/// Builds the server and its examples in release, then runs `example` (with `args`) against
/// the release server binary: on SQLite, then on a fresh PostgreSQL database (dropped
/// afterwards) when 127.0.0.1:5432 answers.
fn on_both_databases(example: &str, args: &[&str]) -> Result<()> {
    let bin = build_examples(example)?;
    println!("\n== SQLite ==");
    cmd(&bin).args(args).run()?;
    let ran = with_postgres_database(example, |url| {
        println!("\n== PostgreSQL ==");
        cmd(&bin).args(args).args(["--database-url", url]).run()
    })?;
    if ran.is_none() {
        println!("PostgreSQL on 127.0.0.1:5432 is not reachable: its run is skipped");
    }
    Ok(())
}

fn size() -> Result<()> {
    bundles::prepare()?;
    crate::size::within_budget()
}
