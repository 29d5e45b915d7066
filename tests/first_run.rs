//! The first run, in Chromium: a server on an empty database (no demo data) says on its login
//! page how to make the first administrator; the administrator is made with the real
//! `threadline-api admin create` command and then logs in.
//!
//! Run alone with `cargo test --test first_run` after building the bundles (see
//! `tests/harness/mod.rs`); the `threadline-api` binary is built first when missing.

mod harness;

use harness::{login, run_with, Harness, Options};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The `threadline-api` binary beside this test's (`target/<profile>/`), built when missing.
fn api_binary() -> harness::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .ok_or("no target directory")?;
    let binary = profile_dir.join("threadline-api");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let built = Command::new(cargo)
            .args(["build", "-p", "threadline-api", "--bin", "threadline-api"])
            .status()?;
        if !built.success() {
            return Err("building threadline-api failed".into());
        }
    }
    Ok(binary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_from_an_empty_database() {
    let options = Options {
        seed_demo: false,
        configure: Box::new(|c| {
            c.identity_secret = "first-run-identity-secret-of-32-bytes-at-least".to_owned();
        }),
    };
    run_with(
        "first_run_from_an_empty_database",
        options,
        |h: Harness| async move {
            let page = h.browser("administrator").await?;
            page.goto("/").await?;
            let said = page
                .wait_role_text(
                    "status",
                    "No accounts yet. Create the first administrator with:",
                )
                .await?;
            assert!(
                said.contains("threadline-api admin create")
                    && said.contains("--role administrator"),
                "{said}"
            );

            let mut child = Command::new(api_binary()?)
                .args([
                    "admin",
                    "create",
                    "--login",
                    "first.admin",
                    "--name",
                    "First Admin",
                    "--role",
                    "administrator",
                    "--password-stdin",
                    "--database-url",
                    h.database_url(),
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()?;
            child
                .stdin
                .take()
                .ok_or("stdin")?
                .write_all(b"first-admin-password\n")?;
            let out = child.wait_with_output()?;
            assert!(
                out.status.success(),
                "admin create: {}",
                String::from_utf8_lossy(&out.stderr)
            );

            page.reload().await?;
            page.role("button", "Log in").await?;
            for status in page.query("status", None).await? {
                assert!(
                    !status.text().await?.contains("No accounts yet"),
                    "the first-run notice is gone once an account exists"
                );
            }
            login(&page, "first.admin", "first-admin-password").await?;
            page.assert_no_console_errors().await
        },
    )
    .await;
}
