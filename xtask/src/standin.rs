//! `cargo xtask run`'s stand-in platform: `threadline-platform-standin` on 127.0.0.1:8082 in
//! place of Meta's and X's APIs, with secrets made for this run only, so the demo page's
//! "Social channels (demo)" panel can send Messenger messages, X Direct Messages, Page comments
//! and mentions through signed webhooks, and agents' replies go out to it (and come back
//! delivered and read).

use crate::util::{self, Error, Result};
use std::fmt::Write as _;
use std::io::Read;

/// Where the stand-in listens (the server's `--meta-api-url`, `--x-api-url` and
/// `--demo-standin-url`).
pub const URL: &str = "http://127.0.0.1:8082";
/// Its address.
const ADDR: &str = "127.0.0.1:8082";
/// The demo Facebook Page (`--meta-page-id` on both).
pub const PAGE_ID: &str = "1000000000000001";
/// The demo X account (`--x-user-id` on both).
pub const X_USER_ID: &str = "1000000000000002";

/// The platform secrets of one run: random, given to the server and the stand-in through their
/// environment, gone when the run ends.
pub struct Secrets {
    /// `(variable, value)` for both processes.
    pub env: Vec<(&'static str, String)>,
}

impl Secrets {
    /// Five fresh random secrets (app secret, verify token, consumer secret, both tokens).
    pub fn generate() -> Result<Secrets> {
        let names = [
            "THREADLINE_META_APP_SECRET",
            "THREADLINE_META_VERIFY_TOKEN",
            "THREADLINE_X_CONSUMER_SECRET",
            "THREADLINE_META_PAGE_TOKEN",
            "THREADLINE_X_ACCESS_TOKEN",
        ];
        let mut random = std::fs::File::open("/dev/urandom")
            .map_err(|e| Error::new(format!("no random source for the demo secrets: {e}")))?;
        let mut env = Vec::new();
        for name in names {
            let mut bytes = [0u8; 32];
            random.read_exact(&mut bytes)?;
            let hex = bytes.iter().fold(String::new(), |mut out, b| {
                let _ = write!(out, "{b:02x}");
                out
            });
            env.push((name, hex));
        }
        Ok(Secrets { env })
    }
}

/// The stand-in's process; stopped when dropped (the server stopped or failed).
pub struct Standin {
    /// The running `threadline-platform-standin`.
    child: std::process::Child,
}

impl Standin {
    /// Starts the binary in `binaries` with `secrets`, sending webhooks to the server at
    /// `threadline` (and letting its demo page post customers' messages).
    pub fn start(
        binaries: &std::path::Path,
        threadline: &str,
        secrets: &Secrets,
    ) -> Result<Standin> {
        let binary = binaries.join("threadline-platform-standin");
        let mut cmd = util::cmd(&binary).args([
            "--addr",
            ADDR,
            "--threadline-url",
            threadline,
            "--meta-page-id",
            PAGE_ID,
            "--x-user-id",
            X_USER_ID,
        ]);
        for (name, value) in &secrets.env {
            cmd = cmd.env(name, value);
        }
        let child = cmd
            .into_command()
            .stdin(std::process::Stdio::null())
            .spawn()
            .map_err(|e| Error::new(format!("could not start {}: {e}", binary.display())))?;
        println!(
            "stand-in platform: {URL}/ (Messenger and X for the demo page's social panel; \
             secrets made for this run)"
        );
        Ok(Standin { child })
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_run_gets_its_own_secrets() {
        let first = Secrets::generate().unwrap();
        let second = Secrets::generate().unwrap();
        assert_eq!(first.env.len(), 5);
        for ((name, a), (_, b)) in first.env.iter().zip(&second.env) {
            assert_eq!(a.len(), 64, "{name}");
            assert!(a.bytes().all(|c| c.is_ascii_hexdigit()), "{name}");
            assert_ne!(a, b, "{name} is made afresh");
        }
    }
}
