//! `cargo xtask bench size`: what a browser really transfers for each bundle.
//!
//! Starts the server (debug build, empty data directory, no demo data) on a free loopback
//! port, then fetches every file of each bundle the way Chromium does (`Accept-Encoding: br,
//! gzip`) and counts the bytes of each body on the wire: the first visit, and a repeat visit
//! (hashed files come from the browser's cache without a request; the others are revalidated
//! with their `ETag` and answered `304`). The budget applies to the first visit. For
//! comparison with older figures the gzip size of each file is printed as well.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bundles::{self, Bundle};
use crate::server::Server;
use crate::util::{step, Error, Result};

/// 1 KB = 1000 bytes (the stricter reading of the budgets).
const KB: u64 = 1000;
/// Budgets from the product spec, on bytes on the wire at the first visit.
/// The console has none in the spec; it is held to the desktop's.
const BUDGETS: [(&str, u64); 3] = [
    ("desktop", 300 * KB),
    ("widget", 100 * KB),
    ("console", 300 * KB),
];

/// Measures both bundles; an error if one is over its budget (`cargo xtask test` runs this too,
/// so a change that breaks a budget fails CI).
pub fn within_budget() -> Result<()> {
    let server = Server::start()?;
    let mut over = Vec::new();
    step("bundle sizes on the wire (KB = 1000 bytes; the budget applies to the first visit)");
    for (bundle, (name, budget)) in bundles::all().iter().zip(BUDGETS) {
        let total = measure_bundle(&server, bundle, name)?;
        let verdict = if total.wire <= budget {
            "within"
        } else {
            "OVER"
        };
        println!(
            "  {:<46} {:>9} {:>9} {:>14} {:>9}   {verdict} the {} budget",
            "total",
            kb(total.raw),
            kb(total.gzip),
            kb(total.wire),
            kb(total.repeat),
            kb(budget)
        );
        if total.wire > budget {
            over.push(format!("{name}: {} > {}", kb(total.wire), kb(budget)));
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!("over budget: {}", over.join("; "))))
    }
}

/// Byte counts of one file or a whole bundle.
#[derive(Default)]
struct Sizes {
    /// The file as built.
    raw: u64,
    /// Gzip level 9 of it, the measure of older README figures.
    gzip: u64,
    /// Body bytes received at the first visit.
    wire: u64,
    /// Body bytes received at a repeat visit.
    repeat: u64,
}

fn measure_bundle(server: &Server, bundle: &Bundle, name: &str) -> Result<Sizes> {
    let files = bundle_files(&bundle.dist)?;
    if files.is_empty() {
        return Err(Error::new(format!(
            "{} has no .wasm, .js, .css or .html files; did the build work?",
            bundle.dist.display()
        )));
    }
    let prefix = match name {
        "widget" => "/widget/",
        "console" => "/console/",
        _ => "/",
    };
    println!(
        "\n{name} ({}):\n  {:<46} {:>9} {:>9} {:>14} {:>9}",
        bundle.dist.display(),
        "file",
        "raw",
        "gzip",
        "first visit",
        "repeat"
    );
    let mut total = Sizes::default();
    for file in &files {
        let relative = file.strip_prefix(&bundle.dist).unwrap_or(file);
        let url = format!("{prefix}{}", relative.display());
        let bytes = std::fs::read(file)?;
        let first = server.get(&url, None)?;
        if first.status != 200 {
            return Err(Error::new(format!("GET {url} answered {}", first.status)));
        }
        let repeat = if first.header("cache-control").contains("immutable") {
            0
        } else if let Some(tag) = first.header_opt("etag") {
            server.get(&url, Some(tag))?.body
        } else {
            first.body
        };
        let sizes = Sizes {
            raw: bytes.len() as u64,
            gzip: bundles::gzip(&bytes)?.len() as u64,
            wire: first.body,
            repeat,
        };
        let encoding = first.header_opt("content-encoding").unwrap_or("identity");
        println!(
            "  {:<46} {:>9} {:>9} {:>9} {:>4} {:>9}",
            relative.display().to_string(),
            kb(sizes.raw),
            kb(sizes.gzip),
            kb(sizes.wire),
            encoding,
            kb(sizes.repeat)
        );
        total.raw += sizes.raw;
        total.gzip += sizes.gzip;
        total.wire += sizes.wire;
        total.repeat += sizes.repeat;
    }
    Ok(total)
}

/// Bytes in KB (1000 bytes), for a line of output.
pub(crate) fn kb(bytes: u64) -> String {
    // Display only: exact to 0.1 KB.
    #[allow(clippy::cast_precision_loss)]
    let value = bytes as f64 / KB as f64;
    format!("{value:.1} KB")
}

/// Every file a browser downloads for the bundle (`.wasm`, `.js`, `.css`, `.html`), sorted.
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
                Some("wasm" | "js" | "css" | "html")
            ) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// One response: status, headers (lower-cased names), body length.
struct Answer {
    /// The HTTP status code.
    status: u16,
    /// Header lines as `(name, value)`.
    headers: Vec<(String, String)>,
    /// Bytes after the header block.
    body: u64,
}

impl Answer {
    fn header_opt(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn header(&self, name: &str) -> &str {
        self.header_opt(name).unwrap_or_default()
    }
}

impl Server {
    /// `GET path` as a browser asks for it, optionally conditional on an `ETag`.
    fn get(&self, path: &str, if_none_match: Option<&str>) -> Result<Answer> {
        let mut stream = TcpStream::connect(self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let condition = if_none_match
            .map(|tag| format!("If-None-Match: {tag}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAccept-Encoding: br, gzip\r\n{condition}\
             Connection: close\r\n\r\n",
            self.addr
        )?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| Error::new(format!("GET {path}: no header block in the answer")))?;
        let head = String::from_utf8_lossy(&raw[..split]);
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| Error::new(format!("GET {path}: no status line")))?;
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Ok(Answer {
            status,
            headers,
            body: (raw.len() - split - 4) as u64,
        })
    }
}
