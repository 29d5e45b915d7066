//! Smoke tests of the agent desktop and the widget demo page, in Chromium.
//!
//! # Layout
//! - `desktop_loads_without_console_errors`: `/` shows the login form, the console stays clean.
//! - `demo_agent_logs_in`: a demo agent logs in and sees the channel status and Connect group.
//! - `demo_page_loads_the_widget`: `/demo` shows the widget's launcher.
//!
//! Run them alone with `cargo test --test desktop_smoke` after building the bundles (see
//! `tests/harness/mod.rs` for the environment they read).

mod harness;

use harness::{login, run, Harness, DEMO_AGENTS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_loads_without_console_errors() {
    run(
        "desktop_loads_without_console_errors",
        |h: Harness| async move {
            let agent = h.browser("agent").await?;
            agent.goto("/").await?;
            agent.role("textbox", "Username").await?;
            agent.role("textbox", "Password").await?;
            agent.role("button", "Log in").await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_agent_logs_in() {
    run("demo_agent_logs_in", |h: Harness| async move {
        let (user, password) = DEMO_AGENTS[0];
        let agent = h.browser("agent").await?;
        login(&agent, user, password).await?;
        agent.role("group|region", "Connect").await?;
        agent.assert_no_console_errors().await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_page_loads_the_widget() {
    run("demo_page_loads_the_widget", |h: Harness| async move {
        let visitor = h.browser("visitor").await?;
        visitor.goto("/demo").await?;
        visitor.role("button", "Chat with us").await?;
        visitor.assert_no_console_errors().await
    })
    .await;
}
