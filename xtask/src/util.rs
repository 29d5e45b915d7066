//! Shared plumbing: the error type, paths, and the child-process helper.
//!
//! # Layout
//! - [`Error`] / [`Result`]: one error type that is just a message for the user.
//! - [`root`], [`cargo_home`], [`cargo_bin_dir`]: where things are.
//! - [`Cmd`]: a `std::process::Command` that prints itself, runs with `~/.cargo/bin` first on
//!   `PATH` (tools installed by `cargo install` must win over older system copies, notably
//!   Debian's `wasm-opt`), and turns a non-zero exit into an [`Error`] naming the command.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// An error for the person at the terminal: what failed and, where we know, what to do.
#[derive(Debug)]
pub struct Error(String);

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Self(error.to_string())
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The workspace root (the parent of this crate's directory).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Cargo's target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Cargo's home: `$CARGO_HOME`, else `~/.cargo`.
pub fn cargo_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(home);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| OsString::from("/root"));
    PathBuf::from(home).join(".cargo")
}

/// Where `cargo install` puts binaries: `$CARGO_HOME/bin`, else `~/.cargo/bin`.
pub fn cargo_bin_dir() -> PathBuf {
    cargo_home().join("bin")
}

/// `PATH` with [`cargo_bin_dir`] moved to the front.
fn child_path() -> OsString {
    let first = cargo_bin_dir();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::iter::once(first.clone())
        .chain(std::env::split_paths(&rest).filter(|dir| *dir != first));
    std::env::join_paths(dirs).unwrap_or(rest)
}

/// When this xtask run started (the first call sets it; `main` calls it first thing).
pub fn started() -> std::time::Instant {
    static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *STARTED.get_or_init(std::time::Instant::now)
}

/// Prints a step header with the time since the run started, so a newcomer sees what is going
/// on and how long each part takes.
pub fn step(what: &str) {
    let secs = started().elapsed().as_secs();
    println!("\n==> [{:02}:{:02}] {what}", secs / 60, secs % 60);
}

/// A child process to run, printed before it runs.
pub struct Cmd {
    command: Command,
    shown: String,
}

/// A new [`Cmd`] for `program`, with `~/.cargo/bin` first on `PATH`.
pub fn cmd(program: impl AsRef<OsStr>) -> Cmd {
    let program = program.as_ref();
    let mut command = Command::new(program);
    command.env("PATH", child_path());
    // `cargo run` gives us the environment of the xtask package; children (cargo, the bindgen tool) must
    // not think they are building xtask.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || matches!(
                &*key,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            )
        {
            command.env_remove(&*key);
        }
    }
    Cmd {
        command,
        shown: program.to_string_lossy().into_owned(),
    }
}

/// A new [`Cmd`] for cargo (the one that runs us, if known).
pub fn cargo() -> Cmd {
    cmd(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")))
}

impl Cmd {
    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            let arg = arg.as_ref();
            self.shown.push(' ');
            self.shown.push_str(&arg.to_string_lossy());
            self.command.arg(arg);
        }
        self
    }

    /// Runs in `dir`.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// The command line as printed.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Runs with inherited stdio; a non-zero exit is an error.
    pub fn run(mut self) -> Result<()> {
        println!("$ {}", self.shown);
        let status = self
            .command
            .status()
            .map_err(|e| Error::new(format!("could not start `{}`: {e}", self.shown)))?;
        self.succeeded(status)
    }

    /// A non-zero exit as an [`Error`] naming the command.
    fn succeeded(&self, status: std::process::ExitStatus) -> Result<()> {
        if status.success() {
            Ok(())
        } else {
            Err(Error::new(format!("`{}` failed ({status})", self.shown)))
        }
    }

    /// Runs with inherited stderr and stdout passed through line by line as it comes; returns
    /// the stdout printed. A non-zero exit is an error.
    pub fn run_kept(mut self) -> Result<String> {
        use std::io::BufRead;
        println!("$ {}", self.shown);
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Error::new(format!("could not start `{}`: {e}", self.shown)))?;
        let mut kept = String::new();
        if let Some(out) = child.stdout.take() {
            for line in std::io::BufReader::new(out).lines() {
                let line = line?;
                println!("{line}");
                kept.push_str(&line);
                kept.push('\n');
            }
        }
        let status = child.wait()?;
        self.succeeded(status).map(|()| kept)
    }

    /// Runs quietly and returns stdout and stderr together, or `None` if the program is missing
    /// or fails. For probes such as `wasm-opt --version`.
    pub fn probe(mut self) -> Option<String> {
        let output = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .ok()?;
        if !output.status.success() {
            return None;
        }
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        Some(text)
    }

    /// Gives the underlying command, for callers that need piped output.
    pub fn into_command(self) -> Command {
        self.command
    }
}

/// Formats a duration as `1m 23s` or `4.2s`.
pub fn human_duration(duration: std::time::Duration) -> String {
    let secs = duration.as_secs();
    if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}
