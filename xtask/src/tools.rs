//! Installs what the build and the tests need, skipping whatever is already there at the right
//! version (so a second `cargo xtask run` starts in seconds).
//!
//! # Layout
//! - [`start_build_tools`] / [`Installs::wait`]: the `wasm32-unknown-unknown` target, then trunk
//!   (and cargo-fuzz, where [`Fuzzing::Too`]) and wasm-bindgen-cli (the exact version `Cargo.lock` resolves `wasm-bindgen` to, which must
//!   also be the one the `Trunk.toml` files pin) compiled by `cargo install` in the background,
//!   both at once, each logging to `target/xtask/install-<tool>.log`, while the caller compiles
//!   the project; wasm-opt from binaryen's npm package (it installs in seconds; compiling
//!   binaryen's C++ from crates.io took most of a first run, and Debian's binaryen 108 is too old:
//!   its output fails at start). [`ensure_build_tools`] is both in one call.
//! - [`ensure_browser`]: Debian's `chromium`, `chromium-driver` and `fonts-noto-color-emoji`
//!   (emoji in the desktop and the widget are boxes without a colour emoji font).
//! - [`ensure_nchan`]: Debian's `nginx` and `libnginx-mod-nchan`, the peer `cargo xtask bench
//!   api` measures beside the server (only for that benchmark).
//! - [`ensure_postgres`]: a Postgres server on 127.0.0.1:5432 for the Postgres test variants.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::{self, cargo, cmd, step, Error, Result};

/// The trunk release we build with (0.22 needs a newer rustc than the project's minimum).
pub const TRUNK_VERSION: &str = "0.21.14";
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

/// Makes sure the wasm target, trunk, wasm-bindgen-cli and wasm-opt are installed.
pub fn ensure_build_tools() -> Result<()> {
    start_build_tools(Fuzzing::No)?.wait()
}

/// Whether cargo-fuzz is wanted too: by `cargo xtask test` (its quick fuzzing step) and
/// `cargo xtask fuzz`, not by `run` or the benchmarks, so a first `run` compiles one tool less.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fuzzing {
    /// trunk and wasm-bindgen only.
    No,
    /// cargo-fuzz as well.
    Too,
}

/// `cargo install` runs started by [`start_build_tools`], still going.
#[must_use = "call `wait` before using the tools"]
pub struct Installs {
    /// One per missing tool: what it is (for messages), the child, its log file.
    running: Vec<(String, std::process::Child, std::path::PathBuf)>,
}

/// Checks the toolchain and starts installing what is missing in the background; wasm-opt (a
/// download of seconds) is installed before this returns. Call [`Installs::wait`] before
/// running trunk.
pub fn start_build_tools(fuzzing: Fuzzing) -> Result<Installs> {
    step("checking the toolchain");
    ensure_wasm_target()?;
    let bindgen = wasm_bindgen_version()?;
    check_trunk_tomls(&bindgen)?;
    let mut running = Vec::new();
    let wanted = [
        (
            "trunk",
            vec!["--locked", "trunk", "--version", TRUNK_VERSION],
            format!("trunk {TRUNK_VERSION}"),
        ),
        // Not --locked: wasm-bindgen-cli's own lock file can lag behind newer compilers.
        (
            "wasm-bindgen",
            vec!["wasm-bindgen-cli", "--version", &bindgen],
            format!("wasm-bindgen {bindgen}"),
        ),
        // `cargo xtask fuzz` (and its quick form in `cargo xtask test`).
        (
            "cargo-fuzz",
            vec!["--locked", "cargo-fuzz", "--version", CARGO_FUZZ_VERSION],
            format!("cargo-fuzz {CARGO_FUZZ_VERSION}"),
        ),
    ];
    for (binary, args, expect) in wanted {
        if binary == "cargo-fuzz" && fuzzing == Fuzzing::No {
            continue;
        }
        if let Some(child) = start_cargo_install(binary, &args, &expect)? {
            running.push((expect, child.0, child.1));
        }
    }
    ensure_wasm_opt()?;
    Ok(Installs { running })
}

impl Installs {
    /// Waits for every install to finish and checks the installed versions.
    pub fn wait(self) -> Result<()> {
        for (tool, mut child, log) in self.running {
            if child.try_wait()?.is_none() {
                println!(
                    "waiting for {tool} to finish compiling (log: {})",
                    log.display()
                );
            }
            let status = child.wait()?;
            if !status.success() {
                return Err(Error::new(format!(
                    "installing {tool} failed ({status}); its output is in {}",
                    log.display()
                )));
            }
            let binary = tool.split(' ').next().unwrap_or(&tool);
            let found = cmd(binary).args(["--version"]).probe().unwrap_or_default();
            if !found.contains(&tool) {
                return Err(Error::new(format!(
                    "after installing, `{binary} --version` says {:?}, not {tool}; is {} first \
                     on PATH?",
                    found.trim(),
                    util::cargo_bin_dir().display()
                )));
            }
            step(&format!("installed {tool}"));
        }
        Ok(())
    }
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

/// The `wasm-bindgen` version `Cargo.lock` resolved; the CLI must be exactly this one.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock_path = util::root().join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", lock_path.display())))?;
    locked_version(&lock, "wasm-bindgen").ok_or_else(|| {
        Error::new(format!(
            "{} has no `wasm-bindgen` package; run `cargo generate-lockfile`",
            lock_path.display()
        ))
    })
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

/// The value of `key = "value"` inside `[section]` of a small TOML file.
fn toml_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            in_section = line == format!("[{section}]");
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            if k.trim() == key {
                return Some(v.trim().trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// Both `Trunk.toml` files must pin the wasm-bindgen CLI that matches `Cargo.lock` (trunk runs
/// `--offline` and cannot fetch another one) and, if they pin wasm-opt, the one we install.
fn check_trunk_tomls(bindgen: &str) -> Result<()> {
    let root = util::root();
    for dir in [root.clone(), root.join("crates/widget")] {
        let path = dir.join("Trunk.toml");
        let Ok(text) = std::fs::read_to_string(&path) else {
            println!("warning: {} does not exist yet", path.display());
            continue;
        };
        match toml_value(&text, "tools", "wasm_bindgen") {
            Some(pinned) if pinned == bindgen => {}
            Some(pinned) => {
                return Err(Error::new(format!(
                    "{} pins wasm_bindgen = \"{pinned}\" but Cargo.lock has wasm-bindgen \
                     {bindgen}; set `[tools] wasm_bindgen = \"{bindgen}\"` there",
                    path.display()
                )))
            }
            None => println!(
                "warning: {} has no `[tools] wasm_bindgen = \"{bindgen}\"`; trunk will use \
                 whatever wasm-bindgen is on PATH",
                path.display()
            ),
        }
        if let Some(pinned) = toml_value(&text, "tools", "wasm_opt") {
            return Err(Error::new(format!(
                "{} pins wasm_opt = \"{pinned}\"; leave it out so trunk uses the wasm-opt we \
                 install (binaryen {BINARYEN_VERSION})",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Starts `cargo install <install_args>` in the background, its output going to a log file,
/// unless `<binary> --version` already mentions `expect`. `None` if there is nothing to do.
fn start_cargo_install(
    binary: &str,
    install_args: &[&str],
    expect: &str,
) -> Result<Option<(std::process::Child, std::path::PathBuf)>> {
    let crate_name = install_args
        .iter()
        .find(|a| !a.starts_with('-'))
        .copied()
        .unwrap_or(binary);
    wait_for_running_install(crate_name);
    if let Some(found) = cmd(binary).args(["--version"]).probe() {
        if found.contains(expect) {
            println!("ok: {}", found.lines().next().unwrap_or(expect).trim());
            return Ok(None);
        }
        println!(
            "{binary} is {}, we need {expect}: compiling it in the background",
            found.lines().next().unwrap_or("?").trim()
        );
    } else {
        println!("{binary} is not installed: compiling {expect} in the background (once)");
    }
    let log = util::target_dir()
        .join("xtask")
        .join(format!("install-{binary}.log"));
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let out = std::fs::File::create(&log)?;
    let err = out.try_clone()?;
    let child = cargo()
        .args(["install"])
        .args(install_args)
        .into_command()
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| Error::new(format!("could not start `cargo install {crate_name}`: {e}")))?;
    Ok(Some((child, log)))
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

    #[test]
    fn reads_trunk_tool_pins() {
        let toml = "[build]\nrelease = true\n\n[tools]\nwasm_bindgen = \"0.2.130\" # pinned\n";
        assert_eq!(
            toml_value(toml, "tools", "wasm_bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(toml_value(toml, "build", "wasm_bindgen"), None);
    }
}
