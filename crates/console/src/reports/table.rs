//! The `Report` table: one line per row of the grouping, the period's totals last.

use crate::time::duration;
use leptos::prelude::*;
use wire::reports::{Report, ReportFigures, ReportGroup, ReportRow};

/// What a row is about, in the grouping's words.
pub fn row_label(group: ReportGroup, row: &ReportRow) -> String {
    let agent = || {
        row.agent_name
            .clone()
            .unwrap_or_else(|| "Not held by an agent".to_owned())
    };
    let day = || row.day.clone().unwrap_or_default();
    match group {
        ReportGroup::Agent => agent(),
        ReportGroup::Day => day(),
        ReportGroup::Channel => row
            .channel
            .map_or_else(String::new, |c| c.label().to_owned()),
        ReportGroup::Disposition => row
            .disposition
            .as_ref()
            .map_or_else(|| "No disposition".to_owned(), |d| d.0.clone()),
        ReportGroup::AgentDay => format!("{} · {}", agent(), day()),
    }
}

/// The heading of the first column.
fn key_heading(group: ReportGroup) -> &'static str {
    match group {
        ReportGroup::Agent => "Agent",
        ReportGroup::Day => "Day",
        ReportGroup::Channel => "Channel",
        ReportGroup::Disposition => "Disposition",
        ReportGroup::AgentDay => "Agent and day",
    }
}

/// An average, or a dash when nothing was counted.
fn average(ms: Option<i64>) -> String {
    ms.map_or_else(|| "—".to_owned(), duration)
}

fn figure_cells(f: &ReportFigures) -> impl IntoView {
    view! {
        <td>{f.chats}</td>
        <td>{duration(f.handle_time_ms)}</td>
        <td>{average(f.avg_handle_time_ms)}</td>
        <td>{average(f.avg_first_response_ms)}</td>
        <td>{average(f.avg_wait_ms)}</td>
        <td>{f.ended}</td>
        <td>{f.done}</td>
    }
}

/// The table.
#[component]
pub fn ReportTable(
    /// The report shown.
    report: Report,
) -> impl IntoView {
    let group = report.group_by;
    view! {
        <section aria-labelledby="report-title">
            <h2 id="report-title">"Figures"</h2>
            <table class="report">
                <caption>"Report"</caption>
                <thead><tr>
                    <th scope="col">{key_heading(group)}</th>
                    <th scope="col">"Chats"</th>
                    <th scope="col">"Handle time"</th>
                    <th scope="col">"Average handle time"</th>
                    <th scope="col">"Average first response"</th>
                    <th scope="col">"Average wait"</th>
                    <th scope="col">"Ended"</th>
                    <th scope="col">"Done"</th>
                </tr></thead>
                <tbody>
                    {report.rows.iter().map(|row| view! {
                        <tr><th scope="row">{row_label(group, row)}</th>{figure_cells(&row.figures)}</tr>
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr><th scope="row">"Total"</th>{figure_cells(&report.totals)}</tr>
                </tfoot>
            </table>
            {report.rows.is_empty().then(|| view! {
                <p role="status">"No chat was accepted in this period."</p>
            })}
        </section>
    }
}
