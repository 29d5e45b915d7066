//! The two browser bundles, built by `trunk build --release --offline --cargo-profile wasm-release`.
//!
//! # Layout
//! - [`Bundle`]: where a bundle's trunk project is, where it lands, what it is built from.
//! - [`build_all`]: builds both, skipping a bundle whose inputs have not changed since its last
//!   successful build (trunk would otherwise rerun wasm-bindgen and wasm-opt every time, which
//!   costs tens of seconds on a 2-core machine).
//!
//! - [`compile_ahead`]: the `cargo build` trunk will run, started early so the project compiles
//!   while trunk and wasm-bindgen-cli are still being installed (trunk then finds it done).
//!
//! - [`precompress`]: `<file>.br` (brotli 11) and `<file>.gz` (gzip 9) beside every file a
//!   browser downloads, so the server sends them compressed without compressing per request.
//!
//! The freshness stamp is `target/xtask/<bundle>.stamp`; delete it to force a rebuild.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::util::{self, cmd, step, Error, Result};

/// One trunk project.
pub struct Bundle {
    /// Short name for messages and the stamp file.
    pub name: &'static str,
    /// The directory with its `Trunk.toml` and `index.html`.
    pub dir: PathBuf,
    /// Where trunk writes it.
    pub dist: PathBuf,
    /// Files and directories whose changes require a rebuild.
    inputs: Vec<PathBuf>,
}

/// The agent desktop (root package) and the visitor widget (`crates/widget`).
pub fn all() -> [Bundle; 2] {
    let root = util::root();
    let shared = |extra: &[&str]| -> Vec<PathBuf> {
        ["Cargo.lock", "Cargo.toml", "crates/wire", ".cargo"]
            .iter()
            .chain(extra)
            .map(|p| root.join(p))
            .collect()
    };
    [
        Bundle {
            name: "desktop",
            dir: root.clone(),
            dist: root.join("dist"),
            inputs: shared(&[
                "src",
                "style",
                "public",
                "index.html",
                "Trunk.toml",
                "build.rs",
            ]),
        },
        Bundle {
            name: "widget",
            dir: root.join("crates/widget"),
            dist: root.join("crates/widget/dist"),
            inputs: shared(&["crates/widget"]),
        },
    ]
}

/// Runs, for each bundle that is not up to date, exactly the `cargo build` that `trunk build
/// --release --offline --cargo-profile wasm-release` runs (same arguments, so cargo's
/// fingerprints match and trunk's own build finds nothing left to compile).
///
/// Trunk builds `--offline`, so first `cargo fetch` (every target's dependencies, from the
/// registry) brings the wasm-only crates a fresh machine has never downloaded.
pub fn compile_ahead() -> Result<()> {
    if all().iter().any(|bundle| !bundle.is_fresh()) {
        step("fetching the bundles' dependencies");
        crate::util::cargo()
            .args(["fetch"])
            .current_dir(crate::util::root())
            .run()?;
    }
    for bundle in all() {
        if bundle.is_fresh() {
            continue;
        }
        step(&format!("compiling the {} (wasm32, release)", bundle.name));
        let manifest = bundle.dir.join("Cargo.toml");
        crate::util::cargo()
            .args([
                "build",
                "--target=wasm32-unknown-unknown",
                "--manifest-path",
            ])
            .args([manifest.as_os_str()])
            .args(["--profile", PROFILE, "--offline"])
            .current_dir(&bundle.dir)
            .run()?;
    }
    Ok(())
}

/// The cargo profile of the bundles (root Cargo.toml): size-optimised, fat LTO, panic=abort;
/// the server keeps the plain release profile.
const PROFILE: &str = "wasm-release";

/// Builds both bundles in release.
pub fn build_all() -> Result<()> {
    for bundle in all() {
        bundle.build()?;
    }
    Ok(())
}

impl Bundle {
    fn stamp(&self) -> PathBuf {
        util::target_dir()
            .join("xtask")
            .join(format!("{}.stamp", self.name))
    }

    /// Builds unless the last successful build is newer than every input.
    pub fn build(&self) -> Result<()> {
        step(&format!("building the {} bundle (release)", self.name));
        if !self.dir.join("Trunk.toml").exists() {
            return Err(Error::new(format!(
                "{} has no Trunk.toml: the {} trunk project is not there yet",
                self.dir.display(),
                self.name
            )));
        }
        if self.is_fresh() {
            precompress(&self.dist)?;
            println!(
                "up to date: {} (delete {} to force a rebuild)",
                self.dist.display(),
                self.stamp().display()
            );
            return Ok(());
        }
        let started = SystemTime::now();
        cmd("trunk")
            .args([
                "build",
                "--release",
                "--offline",
                "--cargo-profile",
                PROFILE,
            ])
            .current_dir(&self.dir)
            .run()
            .map_err(|e| Error::new(format!("building the {} bundle failed: {e}", self.name)))?;
        precompress(&self.dist)?;
        let nanos = started
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let stamp = self.stamp();
        if let Some(parent) = stamp.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&stamp, nanos.to_string())?;
        Ok(())
    }

    fn is_fresh(&self) -> bool {
        if !has_wasm(&self.dist) {
            return false;
        }
        let Some(built) = std::fs::read_to_string(self.stamp())
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|nanos| UNIX_EPOCH + Duration::from_nanos(nanos))
        else {
            return false;
        };
        self.inputs
            .iter()
            .all(|input| newest_mtime(input).is_none_or(|t| t < built))
    }
}

/// Whether `dir` holds a built bundle (a `.wasm` file).
fn has_wasm(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "wasm"))
    })
}

/// The newest modification time under `path` (skipping build outputs), or `None` if absent.
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    let own = meta.modified().ok();
    if !meta.is_dir() {
        return own;
    }
    let mut newest = own;
    for entry in std::fs::read_dir(path).ok()?.flatten() {
        let name = entry.file_name();
        if matches!(
            name.to_str(),
            Some("target" | "dist" | "node_modules" | ".git")
        ) {
            continue;
        }
        if let Some(t) = newest_mtime(&entry.path()) {
            newest = Some(newest.map_or(t, |n| n.max(t)));
        }
    }
    newest
}

/// The kinds of file worth compressing (the rest, pictures, are compressed already).
const COMPRESSIBLE: [&str; 6] = ["wasm", "js", "css", "html", "svg", "json"];

/// Writes `<file>.br` and `<file>.gz` for every compressible file under `dir` that does not
/// have them yet or changed since.
pub fn precompress(dir: &Path) -> Result<()> {
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next)?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let compressible = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| COMPRESSIBLE.contains(&e));
            if !compressible {
                continue;
            }
            let source = std::fs::metadata(&path)?.modified()?;
            for (suffix, compress) in [("br", brotli as fn(&[u8]) -> Result<Vec<u8>>), ("gz", gzip)]
            {
                let mut name = path.clone().into_os_string();
                name.push(".");
                name.push(suffix);
                let out = PathBuf::from(name);
                let current = std::fs::metadata(&out)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t >= source);
                if !current {
                    std::fs::write(&out, compress(&std::fs::read(&path)?)?)?;
                }
            }
        }
    }
    Ok(())
}

/// Brotli at its best setting (quality 11, window 22), as a browser receives it.
pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut out = Vec::new();
    {
        let mut writer = ::brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(bytes)?;
    }
    Ok(out)
}

/// Gzip at level 9, for browsers without brotli.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    Ok(gz.finish()?)
}
