//! Reports in the console: a chat an agent took today shows in the week's report by agent and
//! by channel, in the table and the chart, and the same report downloads as CSV.

mod harness;

use harness::{login, run, Harness};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_reads_and_downloads_a_report() {
    run(
        "supervisor_reads_and_downloads_a_report",
        |h: Harness| async move {
            // A chat Ann takes today.
            let agent = h.browser("agent").await?;
            login(&agent, "ann", "ann-pass-1").await?;
            agent.select("Chat channel status", "Ready").await?;
            let visitor = h.browser("visitor").await?;
            visitor.goto("/demo").await?;
            visitor.open_widget().await?;
            visitor.fill("Name", "Rita Report").await?;
            visitor.click("button", "Start chat").await?;
            visitor
                .fill("Message", "How long does delivery take?")
                .await?;
            visitor.click("button", "Send").await?;
            agent.click("button", "Accept").await?;
            agent.fill("Message", "Two working days, Rita.").await?;
            agent.click("button", "Send").await?;
            visitor
                .wait_text("log", "Messages", "Two working days, Rita.")
                .await?;

            let sup = h.browser("supervisor").await?;
            login(&sup, "sam", "sam-pass-1").await?;
            sup.click("link", "Console").await?;
            sup.click("link", "Reports").await?;
            sup.role("heading", "Reports").await?;
            let line = sup.wait_text("table", "Report", "Ann Archer").await?;
            if !line.contains("Total") {
                return Err(format!("the report has no totals line: {line}").into());
            }
            sup.role("img", "Chart: Chats per row").await?;
            sup.select("Chart shows", "Average wait").await?;
            sup.role("img", "Chart: Average wait per row").await?;

            sup.select("Group by", "Channel").await?;
            sup.click("button", "Show").await?;
            sup.wait_text("table", "Report", "Web Chat").await?;

            // The CSV, saved where the test can read it.
            let csv = sup
                .download("Download CSV", "threadline-report-channel-", "csv")
                .await?;
            if !csv.contains("Web Chat") && !csv.contains("web_chat") {
                return Err(format!("the CSV lacks the Web Chat row: {csv}").into());
            }
            sup.assert_no_console_errors().await?;
            agent.assert_no_console_errors().await
        },
    )
    .await;
}
