//! Reports: a period, a grouping, the table of figures with the period's totals, a chart, and
//! the same report as a CSV download. The figures and their definitions are the server's
//! (`wire::reports`); this page only asks and shows.
//!
//! # Layout
//! - `mod.rs`: the page: the form, and what it shows once a report arrives.
//! - `form.rs`: the period and grouping as the form holds them, and the query they make.
//! - `table.rs`: the `Report` table.
//! - `chart.rs`: the bar chart (SVG) of one figure per row.

mod chart;
mod form;
mod table;

use crate::api::Api;
use crate::session::Session;
pub use form::Query;

use form::{Choice, GROUPS};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::reports::Report;

/// The reports page.
#[component]
pub fn ReportsPage(
    /// Who asks.
    session: Session,
) -> impl IntoView {
    let choice = RwSignal::new(Choice::last_week());
    let report = RwSignal::new(None::<Report>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let api = session.api.clone();
    let show = {
        let api = api.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            load(&api, choice.get_untracked(), report, error, busy);
        }
    };
    load(&api, choice.get_untracked(), report, error, busy);
    let download = move |_| {
        let (api, query) = (api.clone(), choice.get_untracked().query());
        spawn_local(async move {
            match api.report_csv(&query).await {
                Ok(csv) => client::download::save(&csv, "text/csv", &query.file_name()),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <h1 class="page-title">"Reports"</h1>
        <form class="report-form" on:submit=show aria-label="Report period">
            <label>"From" <input type="date" required
                prop:value=move || choice.get().from
                on:change=move |ev| choice.update(|c| c.from = event_target_value(&ev))/></label>
            <label>"To" <input type="date" required
                prop:value=move || choice.get().to
                on:change=move |ev| choice.update(|c| c.to = event_target_value(&ev))/></label>
            <label>"Group by"
                <select on:change=move |ev| choice.update(|c| c.set_group(&event_target_value(&ev)))>
                    {GROUPS.iter().map(|(g, label)| view! {
                        <option value=g.as_str() selected=move || choice.get().group == *g>{*label}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="primary" disabled=move || busy.get()>"Show"</button>
            <button type="button" on:click=download>"Download CSV"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || report.get().map(|r| view! {
            <chart::Chart report=r.clone()/>
            <table::ReportTable report=r/>
        })}
    }
}

/// Asks for the report the form describes.
fn load(
    api: &Api,
    choice: Choice,
    report: RwSignal<Option<Report>>,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
) {
    let api = api.clone();
    busy.set(true);
    spawn_local(async move {
        match api.report(&choice.query()).await {
            Ok(r) => {
                report.set(Some(r));
                error.set(None);
            }
            Err(e) => error.set(Some(e.to_string())),
        }
        busy.set(false);
    });
}
