//! Installs what the build and the tests need, skipping whatever is already there at the right
//! version (so a second `cargo xtask run` starts in seconds).
//!
//! # Layout
//! - [`start_build_tools`] / [`Builds::wait`]: the `wasm32-unknown-unknown` target,
//!   wasm-opt from binaryen's npm package (it installs in seconds; compiling binaryen's C++ from
//!   crates.io took most of a first run, and Debian's binaryen 108 is too old: its output fails at
//!   start), then in the background, each logging to `target/xtask/<tool>.log`, the bindgen tool
//!   ([`bindgen_binary`], `xtask/bindgen`: wasm-bindgen's library at exactly the version
//!   `Cargo.lock` has for `wasm-bindgen`) and, where [`Fuzzing::Too`], `cargo install
//!   cargo-fuzz`, while the caller compiles the project.
//! - [`ensure_browser`]: Debian's `chromium`, `chromium-driver` and `fonts-noto-color-emoji`
//!   (emoji in the desktop and the widget are boxes without a colour emoji font).
//! - [`ensure_nchan`]: Debian's `nginx` and `libnginx-mod-nchan`, the peer `cargo xtask bench
//!   api` measures beside the server (only for that benchmark).
//! - [`ensure_postgres`]: a Postgres server on 127.0.0.1:5432 for the Postgres test variants.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::{self, cargo, cmd, step, Error, Result};

/// The cargo-fuzz release that builds and runs the fuzz targets in `fuzz/`.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// The binaryen release whose npm package gives us wasm-opt.
pub const BINARYEN_VERSION: &str = "132.0.0";
/// The axe-core release the browser tests check every screen with (WCAG 2.0/2.1 A and AA).
pub const AXE_CORE_VERSION: &str = "4.14.1";
/// What `wasm-opt --version` may say: binaryen 132 from npm, or 116 from the `wasm-opt` crate
/// (an earlier setup of this project). Both were checked to produce a desktop that starts.
const WASM_OPT_ACCEPTED: [&str; 2] = ["version 132", "version 116"];
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Chromium and its driver, as Debian installs them.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// See [`CHROMIUM`].
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The colour emoji font Chromium draws emoji with (without it they are empty boxes).
pub const EMOJI_FONT: &str = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

/// nginx, as Debian installs it: `cargo xtask bench api` runs it with nchan as the peer.
pub const NGINX: &str = "/usr/sbin/nginx";
/// nchan, nginx's pub/sub module, as Debian installs it (loaded with `load_module`).
pub const NCHAN_MODULE: &str = "/usr/lib/nginx/modules/ngx_nchan_module.so";

/// The Debian packages `cargo xtask bench api` needs for its peer, each with a file that shows
/// it is installed.
const NCHAN_PACKAGES: [(&str, &str); 2] = [("nginx", NGINX), ("libnginx-mod-nchan", NCHAN_MODULE)];

/// The Debian packages the browser tests need, each with a file that shows it is installed.
const BROWSER_PACKAGES: [(&str, &str); 3] = [
    ("chromium", CHROMIUM),
    ("chromium-driver", CHROMEDRIVER),
    ("fonts-noto-color-emoji", EMOJI_FONT),
];

/// Whether cargo-fuzz is wanted too: by `cargo xtask test` (its quick fuzzing step) and
/// `cargo xtask fuzz`, not by `run` or the benchmarks, so a first `run` compiles one tool less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fuzzing {
    /// The bundles' tools only.
    No,
    /// cargo-fuzz as well.
    Too,
}

/// Tool builds started by [`start_build_tools`], still going.
#[must_use = "call `wait` before using the tools"]
pub struct Builds {
    /// One per tool being built.
    running: Vec<Background>,
}

/// One tool compiling in the background.
struct Background {
    /// What it is, for messages (`cargo-fuzz 0.13.2`, `the bindgen tool`).
    what: String,
    /// The `cargo` process.
    child: std::process::Child,
    /// Where its output goes.
    log: PathBuf,
    /// How to tell it worked.
    check: Check,
}

/// What shows that a background build produced its tool.
enum Check {
    /// `<binary> --version` mentions the text.
    Version {
        binary: &'static str,
        expect: String,
    },
    /// The file exists.
    File(PathBuf),
}

/// The bindgen tool `cargo xtask` builds for the bundles (`xtask/bindgen`), in its own target
/// folder so that building it does not wait for, or hold up, the bundles' `cargo build`.
pub fn bindgen_binary() -> PathBuf {
    util::target_dir()
        .join("tools")
        .join("tools")
        .join("threadline-bindgen")
}

/// Checks the toolchain and starts building what is missing in the background; wasm-opt (a
/// download of seconds) is installed before this returns. Call [`Builds::wait`] before
/// assembling the bundles.
pub fn start_build_tools(fuzzing: Fuzzing) -> Result<Builds> {
    step("checking the toolchain");
    ensure_wasm_target()?;
    check_bindgen_pin()?;
    ensure_wasm_opt()?;
    let mut running = Vec::new();
    // cargo decides whether anything changed; when nothing did, this takes a fraction of a second.
    running.push(start_background(
        "the bindgen tool",
        &[
            "build",
            "--package",
            "threadline-bindgen",
            "--profile",
            "tools",
            "--target-dir",
            &util::target_dir().join("tools").to_string_lossy(),
        ],
        "bindgen",
        Check::File(bindgen_binary()),
    )?);
    if fuzzing == Fuzzing::Too {
        let expect = format!("cargo-fuzz {CARGO_FUZZ_VERSION}");
        wait_for_running_install("cargo-fuzz");
        match cmd("cargo-fuzz").args(["--version"]).probe() {
            Some(found) if found.contains(&expect) => {
                println!("ok: {}", found.lines().next().unwrap_or(&expect).trim());
            }
            _ => {
                println!(
                    "cargo-fuzz is not installed: compiling {expect} in the background (once)"
                );
                running.push(start_background(
                    &expect,
                    &[
                        "install",
                        "--locked",
                        "cargo-fuzz",
                        "--version",
                        CARGO_FUZZ_VERSION,
                    ],
                    "cargo-fuzz",
                    Check::Version {
                        binary: "cargo-fuzz",
                        expect: expect.clone(),
                    },
                )?);
            }
        }
    }
    Ok(Builds { running })
}

impl Builds {
    /// `cargo <args>` (a build of the project's own binaries) in the background, its output in
    /// `target/xtask/<log_name>.log`; [`Builds::wait`] then checks that `product` exists.
    pub fn cargo(what: &str, args: &[&str], log_name: &str, product: PathBuf) -> Result<Builds> {
        let build = start_background(what, args, log_name, Check::File(product))?;
        println!(
            "compiling {what} in the background (log: {})",
            build.log.display()
        );
        Ok(Builds {
            running: vec![build],
        })
    }

    /// Waits for every tool build to finish and checks what it produced.
    pub fn wait(self) -> Result<()> {
        for job in self.running {
            let Background {
                what,
                mut child,
                log,
                check,
            } = job;
            if child.try_wait()?.is_none() {
                println!(
                    "waiting for {what} to finish compiling (log: {})",
                    log.display()
                );
            }
            let status = child.wait()?;
            if !status.success() {
                // The end of the log says why (the compiler's errors come last).
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                for line in &lines[lines.len().saturating_sub(40)..] {
                    println!("{line}");
                }
                return Err(Error::new(format!(
                    "building {what} failed ({status}); its whole output is in {}",
                    log.display()
                )));
            }
            match check {
                Check::Version { binary, expect } => {
                    let found = cmd(binary).args(["--version"]).probe().unwrap_or_default();
                    if !found.contains(&expect) {
                        return Err(Error::new(format!(
                            "after installing, `{binary} --version` says {:?}, not {expect}; \
                             is {} first on PATH?",
                            found.trim(),
                            util::cargo_bin_dir().display()
                        )));
                    }
                }
                Check::File(path) => {
                    if !path.exists() {
                        return Err(Error::new(format!(
                            "building {what} succeeded but {} is missing",
                            path.display()
                        )));
                    }
                }
            }
            step(&format!("ready: {what}"));
        }
        Ok(())
    }
}

/// Starts `cargo <args>` in the background with its output in `target/xtask/<log_name>.log`.
fn start_background(what: &str, args: &[&str], log_name: &str, check: Check) -> Result<Background> {
    let log = util::target_dir()
        .join("xtask")
        .join(format!("{log_name}.log"));
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let out = std::fs::File::create(&log)?;
    let err = out.try_clone()?;
    let child = cargo()
        .args(args)
        .current_dir(util::root())
        .into_command()
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| Error::new(format!("could not start building {what}: {e}")))?;
    Ok(Background {
        what: what.to_owned(),
        child,
        log,
        check,
    })
}

fn ensure_wasm_target() -> Result<()> {
    let installed = cmd("rustup")
        .args(["target", "list", "--installed"])
        .probe()
        .ok_or_else(|| {
            Error::new("`rustup target list --installed` failed; is rustup installed?")
        })?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("ok: rust target {WASM_TARGET}");
        return Ok(());
    }
    cmd("rustup").args(["target", "add", WASM_TARGET]).run()
}

/// The version of package `name` in the text of a `Cargo.lock`.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim();
            return version
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_owned);
        }
    }
    None
}

/// The bindgen tool's `wasm-bindgen-cli-support` must be exactly the `wasm-bindgen` the bundles
/// are built with: the glue reads descriptors the macros of that same version wrote.
fn check_bindgen_pin() -> Result<()> {
    let lock_path = util::root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", lock_path.display())))?;
    let wanted = locked_version(&lock, "wasm-bindgen");
    let support = locked_version(&lock, "wasm-bindgen-cli-support");
    match (wanted, support) {
        (Some(w), Some(s)) if w == s => {
            println!("ok: wasm-bindgen {w} (the bindgen tool's library matches)");
            Ok(())
        }
        (w, s) => Err(Error::new(format!(
            "{} has wasm-bindgen {} but wasm-bindgen-cli-support {}: pin both to the same \
             version (`=X` in Cargo.toml and xtask/bindgen/Cargo.toml)",
            lock_path.display(),
            w.as_deref().unwrap_or("none"),
            s.as_deref().unwrap_or("none")
        ))),
    }
}

/// Makes sure `wasm-opt` is binaryen 132 (or 116): installs binaryen's npm package into
/// `~/.cargo/threadline-tools/` and links its `wasm-opt` into `~/.cargo/bin`.
fn ensure_wasm_opt() -> Result<()> {
    if let Some(found) = cmd("wasm-opt").args(["--version"]).probe() {
        if WASM_OPT_ACCEPTED.iter().any(|v| found.contains(v)) {
            println!("ok: {}", found.lines().next().unwrap_or("wasm-opt").trim());
            return Ok(());
        }
        println!(
            "wasm-opt is {}, too old: installing binaryen {BINARYEN_VERSION} from the npm registry",
            found.lines().next().unwrap_or("?").trim()
        );
    } else {
        println!("wasm-opt is not installed: installing binaryen {BINARYEN_VERSION} from npm");
    }
    let dir = npm_install("binaryen", BINARYEN_VERSION)?;
    let bin = util::cargo_bin_dir();
    let target = dir.join("node_modules/binaryen/bin/wasm-opt");
    let link = bin.join("wasm-opt");
    std::fs::create_dir_all(&bin)?;
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link)?;
    }
    std::os::unix::fs::symlink(&target, &link)?;
    let found = cmd("wasm-opt")
        .args(["--version"])
        .probe()
        .unwrap_or_default();
    if WASM_OPT_ACCEPTED.iter().any(|v| found.contains(v)) {
        println!("ok: {}", found.lines().next().unwrap_or("wasm-opt").trim());
        Ok(())
    } else {
        Err(Error::new(format!(
            "after installing, `wasm-opt --version` says {:?}; is {} first on PATH?",
            found.trim(),
            bin.display()
        )))
    }
}

/// Installs `package@version` from the npm registry into its own folder under
/// `~/.cargo/threadline-tools/` (installing Debian's npm first if needed) and returns the folder.
fn npm_install(package: &str, version: &str) -> Result<PathBuf> {
    if cmd("npm").args(["--version"]).probe().is_none() {
        println!("npm is missing: installing Debian's nodejs and npm");
        apt_install(&["nodejs", "npm"])?;
    }
    let dir = tools_dir().join(format!("{package}-{version}"));
    std::fs::create_dir_all(&dir)?;
    cmd("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .args([dir.as_os_str()])
        .args([format!("{package}@{version}")])
        .run()?;
    Ok(dir)
}

/// Where the npm-installed tools live, beside `~/.cargo/bin`.
fn tools_dir() -> PathBuf {
    let bin = util::cargo_bin_dir();
    bin.parent().unwrap_or(&bin).join("threadline-tools")
}

/// Makes sure axe-core's browser script is installed (from npm) and returns its path, which the
/// test run hands the browser tests as `THREADLINE_AXE_JS`.
pub fn ensure_axe_core() -> Result<PathBuf> {
    let script = tools_dir()
        .join(format!("axe-core-{AXE_CORE_VERSION}"))
        .join("node_modules/axe-core/axe.min.js");
    if script.exists() {
        println!("ok: axe-core {AXE_CORE_VERSION}");
        return Ok(script);
    }
    println!("installing axe-core {AXE_CORE_VERSION} from the npm registry");
    npm_install("axe-core", AXE_CORE_VERSION)?;
    if script.exists() {
        Ok(script)
    } else {
        Err(Error::new(format!(
            "npm installed axe-core but {} is missing",
            script.display()
        )))
    }
}

/// If another `cargo install <crate>` is running (say, a setup script), waits for it instead of
/// compiling the same thing twice on the same machine.
fn wait_for_running_install(crate_name: &str) {
    let mut announced = false;
    while let Some(pid) = running_install(crate_name) {
        if !announced {
            println!("waiting for `cargo install {crate_name}` already running (pid {pid})");
            announced = true;
        }
        std::thread::sleep(Duration::from_secs(5));
    }
}

fn running_install(crate_name: &str) -> Option<u32> {
    let own = std::process::id();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
        let is_cargo = args
            .first()
            .is_some_and(|a| a.ends_with(b"/cargo") || *a == b"cargo");
        if is_cargo
            && args.iter().any(|a| *a == b"install")
            && args.contains(&crate_name.as_bytes())
        {
            return Some(pid);
        }
    }
    None
}

/// Makes sure Chromium, chromedriver and a colour emoji font are installed (Debian packages),
/// installing only the ones that are missing.
pub fn ensure_browser() -> Result<()> {
    step("checking Chromium, chromedriver and the emoji font");
    if !install_missing(&BROWSER_PACKAGES)? {
        return Ok(());
    }
    let version = cmd(CHROMEDRIVER).args(["--version"]).probe();
    println!(
        "ok: {}",
        version
            .as_deref()
            .unwrap_or("chromedriver")
            .lines()
            .next()
            .unwrap_or("")
            .trim()
    );
    println!("ok: {EMOJI_FONT}");
    Ok(())
}

/// Makes sure nginx and its nchan module are installed (Debian packages), for `cargo xtask
/// bench api`, which measures nchan beside the server.
pub fn ensure_nchan() -> Result<()> {
    step("checking nginx and its nchan module");
    if install_missing(&NCHAN_PACKAGES)? {
        println!("ok: {NGINX}");
        println!("ok: {NCHAN_MODULE}");
    }
    Ok(())
}

/// Installs, in one `apt-get` run, those of `packages` (a Debian package, a file it installs)
/// whose file is missing. `true` when all were there already.
fn install_missing(packages: &[(&str, &str)]) -> Result<bool> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(_, path)| !Path::new(path).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(true);
    }
    println!("installing Debian's {}", missing.join(", "));
    apt_install(&missing)?;
    Ok(false)
}

fn apt_install(packages: &[&str]) -> Result<()> {
    cmd("apt-get").args(["update"]).run()?;
    cmd("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .run()
        .map_err(|e| Error::new(format!("{e} (apt-get needs root)")))
}

/// The database URL the Postgres test variants use.
pub const TEST_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Makes sure Postgres answers on 127.0.0.1:5432, starting (or, on a fresh machine,
/// installing) it when needed.
pub fn ensure_postgres() -> Result<()> {
    step("checking PostgreSQL on 127.0.0.1:5432");
    if pg_ready() {
        println!("ok: PostgreSQL is accepting connections");
        return Ok(());
    }
    let mut installed_now = false;
    if !Path::new("/etc/postgresql").is_dir() {
        println!("PostgreSQL is not installed: installing Debian's postgresql");
        apt_install(&["postgresql"])?;
        installed_now = true;
    }
    let cluster = postgres_cluster()?;
    if installed_now {
        trust_local_tcp(&cluster)?;
    }
    println!("starting PostgreSQL {cluster}/main");
    cmd("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &cluster, "main", "start"])
        .run()?;
    for _ in 0..60 {
        if pg_ready() {
            println!("ok: PostgreSQL is accepting connections");
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Err(Error::new(
        "PostgreSQL did not come up on 127.0.0.1:5432 within 30 s (see /var/log/postgresql)",
    ))
}

/// Drops the databases the PostgreSQL variants of the tests made (`threadline_t_…`), for
/// after a run that passed. Each test makes one and leaves it (a failed test's stays for
/// inspection until the next run drops it); the hundred and more a whole run leaves keep the
/// server's autovacuum launcher going from one to the next, on the machine the benchmarks
/// run on afterwards.
pub fn drop_test_databases() {
    let psql = || cmd("psql").args([TEST_PG_URL]);
    let Some(names) = psql()
        .args(["-qAtc"])
        .args(["SELECT datname FROM pg_database WHERE datname LIKE 'threadline\\_t\\_%'"])
        .probe()
    else {
        println!("could not list the test databases; left as they are");
        return;
    };
    let names: Vec<&str> = names
        .lines()
        .map(str::trim)
        .filter(|n| n.starts_with("threadline_t_"))
        .filter(|n| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .collect();
    let dropped = names
        .iter()
        .filter(|name| {
            psql()
                .args(["-qc"])
                .args([format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
                .probe()
                .is_some()
        })
        .count();
    println!("dropped {dropped} of {} test databases", names.len());
}

fn pg_ready() -> bool {
    cmd("pg_isready")
        .args(["-h", "127.0.0.1", "-p", "5432"])
        .probe()
        .is_some()
}

fn postgres_cluster() -> Result<String> {
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .map_err(|e| Error::new(format!("cannot list /etc/postgresql: {e}")))?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    versions.sort_by_key(|v| v.parse::<u32>().unwrap_or(0));
    versions
        .pop()
        .ok_or_else(|| Error::new("/etc/postgresql has no cluster; reinstall postgresql"))
}

/// On a Postgres that xtask itself just installed (a fresh CI machine), lets the `postgres`
/// user connect over 127.0.0.1 without a password, as the test URL expects.
fn trust_local_tcp(cluster: &str) -> Result<()> {
    let path = format!("/etc/postgresql/{cluster}/main/pg_hba.conf");
    let current = std::fs::read_to_string(&path)?;
    let line = "host all postgres 127.0.0.1/32 trust";
    if !current.contains(line) {
        std::fs::write(
            &path,
            format!("# Added by cargo xtask test.\n{line}\n{current}"),
        )?;
        println!("allowed passwordless postgres logins on 127.0.0.1 in {path}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_cargo_lock() {
        let lock = "[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n\n\
                    [[package]]\nname = \"wasm-bindgen-futures\"\nversion = \"0.4.1\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "nope"), None);
    }
}
