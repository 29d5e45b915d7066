//! `cargo xtask bench <what>`: the benchmarks the project ships.
//!
//! # Layout
//! - [`Bench`]: one variant per benchmark; add new ones (`ui`, `api`) there and in
//!   [`Bench::parse`].
//! - `size`: the download size of both bundles, raw, gzip (level 9) and brotli (quality 11),
//!   against the budgets from the product spec. Over budget is an error.
//! - `ui`: `benches/ui.rs` in headless Chromium against the release bundles: opening,
//!   scrolling and searching a 10,000-message conversation.
//! - `api`: `crates/api/examples/load.rs` against the release server, on `SQLite` and
//!   PostgreSQL.
//! - `search`: `crates/api/examples/search.rs` against the release server: history search over
//!   1,000,000 messages, on `SQLite` and PostgreSQL.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::bundles;
use crate::tools;
use crate::util::{cmd, step, Error, Result};

/// 1 KB = 1000 bytes (the stricter reading of the budgets).
const KB: u64 = 1000;

/// The benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bench {
    /// Bundle download sizes against the budgets.
    Size,
    /// Server load: message latency with many agents connected, memory per idle stream.
    Api,
    /// The desktop in headless Chromium with a 10,000-message conversation.
    Ui,
    /// History search latency over 1,000,000 messages.
    Search,
}

impl Bench {
    const ALL: &'static [(&'static str, Bench, &'static str)] = &[
        (
            "size",
            Bench::Size,
            "raw, gzip and brotli size of the desktop and widget bundles against the budgets",
        ),
        (
            "ui",
            Bench::Ui,
            "the desktop in Chromium: opening, scrolling and searching a 10,000-message conversation",
        ),
        (
            "api",
            Bench::Api,
            "message latency (1,000 agents, 1,000 msg/s) and memory for 10,000 idle streams, on SQLite and PostgreSQL",
        ),
        (
            "search",
            Bench::Search,
            "history search latency over 1,000,000 messages (p50/p95/p99 per kind of query), on SQLite and PostgreSQL",
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
            Bench::Ui => ui(),
            Bench::Search => search(),
        }
    }
}

/// Runs `benches/ui.rs` (release build) against the release bundles in headless Chromium.
fn ui() -> Result<()> {
    tools::ensure_build_tools()?;
    tools::ensure_browser()?;
    bundles::build_all()?;
    let [desktop, widget] = bundles::all();
    crate::util::cargo()
        .args(["bench", "--bench", "ui"])
        .env("THREADLINE_DESKTOP_DIR", &desktop.dist)
        .env("THREADLINE_WIDGET_DIR", &widget.dist)
        .env("CHROMEDRIVER", tools::CHROMEDRIVER)
        .env("CHROMIUM", tools::CHROMIUM)
        .run()
}

/// Runs the server's load benchmark (`crates/api/examples/load.rs`).
fn api() -> Result<()> {
    on_both_databases("load")
}

/// Runs the history search benchmark (`crates/api/examples/search.rs`).
fn search() -> Result<()> {
    on_both_databases("search")
}

/// Builds the server and its examples in release, then runs `example` against the release
/// server binary: on SQLite, then on a fresh PostgreSQL database (dropped afterwards) when
/// 127.0.0.1:5432 answers.
fn on_both_databases(example: &str) -> Result<()> {
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
    let bin = crate::util::target_dir()
        .join("release/examples")
        .join(example);
    println!("\n== SQLite ==");
    cmd(&bin).run()?;
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
    if psql(format!("CREATE DATABASE {name}")).is_ok() {
        println!("\n== PostgreSQL ==");
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        let result = cmd(&bin).args(["--database-url", &url]).run();
        let _ = psql(format!("DROP DATABASE {name}"));
        result?;
    } else {
        println!("PostgreSQL on 127.0.0.1:5432 is not reachable: its run is skipped");
    }
    Ok(())
}

/// Sizes of one file or one bundle.
#[derive(Debug, Default, Clone, Copy)]
struct Sizes {
    raw: u64,
    gzip: u64,
    brotli: u64,
}

impl std::ops::AddAssign for Sizes {
    fn add_assign(&mut self, other: Self) {
        self.raw += other.raw;
        self.gzip += other.gzip;
        self.brotli += other.brotli;
    }
}

fn size() -> Result<()> {
    tools::ensure_build_tools()?;
    bundles::build_all()?;
    sizes_within_budget()
}

/// Prints the sizes of the built bundles; an error if one is over its budget (`cargo xtask
/// test` runs this too, so a change that breaks a budget fails CI).
pub fn sizes_within_budget() -> Result<()> {
    let budgets = [("desktop", 300 * KB), ("widget", 100 * KB)];
    let mut over = Vec::new();
    step("bundle sizes (KB = 1000 bytes; budget applies to the gzip size)");
    for (bundle, (name, budget)) in bundles::all().iter().zip(budgets) {
        let files = bundle_files(&bundle.dist)?;
        if files.is_empty() {
            return Err(Error::new(format!(
                "{} has no .wasm, .js or .css files; did the build work?",
                bundle.dist.display()
            )));
        }
        println!(
            "\n{name} ({}):\n  {:<44} {:>10} {:>10} {:>10}",
            bundle.dist.display(),
            "file",
            "raw",
            "gzip",
            "brotli"
        );
        let mut total = Sizes::default();
        for file in &files {
            let sizes = measure(file)?;
            let shown = file.strip_prefix(&bundle.dist).unwrap_or(file).display();
            println!(
                "  {:<44} {:>10} {:>10} {:>10}",
                shown.to_string(),
                kb(sizes.raw),
                kb(sizes.gzip),
                kb(sizes.brotli)
            );
            total += sizes;
        }
        let verdict = if total.gzip <= budget {
            "within"
        } else {
            "OVER"
        };
        println!(
            "  {:<44} {:>10} {:>10} {:>10}   {verdict} the {} budget",
            "total",
            kb(total.raw),
            kb(total.gzip),
            kb(total.brotli),
            kb(budget)
        );
        if total.gzip > budget {
            over.push(format!("{name}: {} gzip > {}", kb(total.gzip), kb(budget)));
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!("over budget: {}", over.join("; "))))
    }
}

fn kb(bytes: u64) -> String {
    // Display only: exact to 0.1 KB.
    #[allow(clippy::cast_precision_loss)]
    let value = bytes as f64 / KB as f64;
    format!("{value:.1} KB")
}

/// Every `.wasm`, `.js` and `.css` file under `dir`, sorted.
fn bundle_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let entries = std::fs::read_dir(&next)
            .map_err(|e| Error::new(format!("cannot read {}: {e}", next.display())))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("wasm" | "js" | "css")
            ) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn measure(path: &Path) -> Result<Sizes> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    let gzip = gz.finish()?.len();
    let mut br = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
        writer.write_all(&bytes)?;
    }
    Ok(Sizes {
        raw: bytes.len() as u64,
        gzip: gzip as u64,
        brotli: br.len() as u64,
    })
}
