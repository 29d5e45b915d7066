//! Installs what the build and the tests need, skipping whatever is already there at the right
//! version (so a second `cargo xtask run` starts in seconds).
//!
//! # Layout
//! - [`ensure_build_tools`]: the `wasm32-unknown-unknown` target, trunk, wasm-bindgen-cli (the
//!   exact version `Cargo.lock` resolves `wasm-bindgen` to, which must also be the one the
//!   `Trunk.toml` files pin), wasm-opt (from crates.io: Debian's binaryen is too old and breaks
//!   the bundle).
//! - [`ensure_browser`]: Debian's `chromium`, `chromium-driver` and `fonts-noto-color-emoji`
//!   (emoji in the desktop and the widget are boxes without a colour emoji font).
//! - [`ensure_postgres`]: a Postgres server on 127.0.0.1:5432 for the Postgres test variants.

use std::path::Path;
use std::time::Duration;

use crate::util::{self, cargo, cmd, step, Error, Result};

/// The trunk release we build with (0.22 needs a newer rustc than the project's minimum).
pub const TRUNK_VERSION: &str = "0.21.14";
/// The wasm-opt crate release; its binary reports binaryen "version 116".
pub const WASM_OPT_VERSION: &str = "0.116.1";
const WASM_OPT_BINARYEN: &str = "version 116";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Chromium and its driver, as Debian installs them.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// See [`CHROMIUM`].
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The colour emoji font Chromium draws emoji with (without it they are empty boxes).
pub const EMOJI_FONT: &str = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

/// The Debian packages the browser tests need, each with a file that shows it is installed.
const BROWSER_PACKAGES: [(&str, &str); 3] = [
    ("chromium", CHROMIUM),
    ("chromium-driver", CHROMEDRIVER),
    ("fonts-noto-color-emoji", EMOJI_FONT),
];

/// Makes sure the wasm target, trunk, wasm-bindgen-cli and wasm-opt are installed.
pub fn ensure_build_tools() -> Result<()> {
    step("checking the toolchain");
    ensure_wasm_target()?;
    let bindgen = wasm_bindgen_version()?;
    check_trunk_tomls(&bindgen)?;
    ensure_cargo_tool(
        "trunk",
        &["--locked", "trunk", "--version", TRUNK_VERSION],
        &format!("trunk {TRUNK_VERSION}"),
    )?;
    // Not --locked: wasm-bindgen-cli's own lock file can lag behind newer compilers.
    ensure_cargo_tool(
        "wasm-bindgen",
        &["wasm-bindgen-cli", "--version", &bindgen],
        &format!("wasm-bindgen {bindgen}"),
    )?;
    ensure_cargo_tool(
        "wasm-opt",
        &["--locked", "wasm-opt", "--version", WASM_OPT_VERSION],
        WASM_OPT_BINARYEN,
    )?;
    Ok(())
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
            if pinned != "version_116" {
                return Err(Error::new(format!(
                    "{} pins wasm_opt = \"{pinned}\"; the installed one is binaryen 116, so \
                     use `wasm_opt = \"version_116\"`",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

/// Installs `cargo install <install_args>` unless `<binary> --version` already mentions `expect`.
fn ensure_cargo_tool(binary: &str, install_args: &[&str], expect: &str) -> Result<()> {
    let crate_name = install_args
        .iter()
        .find(|a| !a.starts_with('-'))
        .copied()
        .unwrap_or(binary);
    wait_for_running_install(crate_name);
    if let Some(found) = cmd(binary).args(["--version"]).probe() {
        if found.contains(expect) {
            println!("ok: {}", found.lines().next().unwrap_or(expect).trim());
            return Ok(());
        }
        println!(
            "{binary} is {}, we need {expect}: installing",
            found.lines().next().unwrap_or("?").trim()
        );
    } else {
        println!("{binary} is not installed: installing {expect} (this takes a few minutes once)");
    }
    cargo()
        .args(["install"])
        .args(install_args)
        .run()
        .map_err(|e| Error::new(format!("installing {binary} failed: {e}")))?;
    let found = cmd(binary).args(["--version"]).probe().unwrap_or_default();
    if found.contains(expect) {
        Ok(())
    } else {
        Err(Error::new(format!(
            "after installing, `{binary} --version` says {:?}, not {expect}; is {} first on PATH?",
            found.trim(),
            util::cargo_bin_dir().display()
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
    let missing: Vec<&str> = BROWSER_PACKAGES
        .iter()
        .filter(|(_, path)| !Path::new(path).exists())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
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
        return Ok(());
    }
    println!("installing Debian's {}", missing.join(", "));
    apt_install(&missing)
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
