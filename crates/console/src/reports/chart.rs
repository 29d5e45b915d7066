//! The report's bar chart: one bar per row for the figure chosen, drawn as SVG with a text
//! alternative (the table beside it has every number).

use super::table::row_label;
use crate::time::duration;
use leptos::prelude::*;
use wire::reports::{Report, ReportFigures};

/// A figure the chart can show: its name, how to read it from a row, whether it is a time.
type Measure = (&'static str, fn(&ReportFigures) -> i64, bool);

/// The figures the chart can show.
const MEASURES: [Measure; 5] = [
    ("Chats", |f| f.chats, false),
    ("Handle time", |f| f.handle_time_ms, true),
    (
        "Average handle time",
        |f| f.avg_handle_time_ms.unwrap_or(0),
        true,
    ),
    (
        "Average first response",
        |f| f.avg_first_response_ms.unwrap_or(0),
        true,
    ),
    ("Average wait", |f| f.avg_wait_ms.unwrap_or(0), true),
];

/// Height of one bar's line, in SVG units.
const LINE: f64 = 28.0;
/// Where bars start (labels are left of it) and the widest bar.
const LABEL_WIDTH: f64 = 220.0;
const BAR_WIDTH: f64 = 460.0;

/// Bar lengths for `values`, the longest `BAR_WIDTH`.
#[allow(clippy::cast_precision_loss)] // figures far below 2^52
pub fn bar_lengths(values: &[i64]) -> Vec<f64> {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    values
        .iter()
        .map(|v| (*v).max(0) as f64 / max * BAR_WIDTH)
        .collect()
}

/// The chart, with a choice of figure.
#[component]
pub fn Chart(
    /// The report drawn.
    report: Report,
) -> impl IntoView {
    let measure = RwSignal::new(0_usize);
    let group = report.group_by;
    let labels: Vec<String> = report.rows.iter().map(|r| row_label(group, r)).collect();
    let figures: Vec<ReportFigures> = report.rows.iter().map(|r| r.figures.clone()).collect();
    let draw = move || {
        let (name, read, time) = MEASURES[measure.get()];
        let values: Vec<i64> = figures.iter().map(read).collect();
        let lengths = bar_lengths(&values);
        #[allow(clippy::cast_precision_loss)]
        let height = LINE * values.len().max(1) as f64 + 8.0;
        let bars = labels
            .iter()
            .zip(values.iter().zip(lengths))
            .enumerate()
            .map(|(i, (label, (value, length)))| {
                #[allow(clippy::cast_precision_loss)]
                let y = LINE * i as f64 + 4.0;
                let shown = if time { duration(*value) } else { value.to_string() };
                view! {
                    <g>
                        <text x=LABEL_WIDTH - 8.0 y=y + 17.0 text-anchor="end">{label.clone()}</text>
                        <rect x=LABEL_WIDTH y=y width=length.max(1.0) height=LINE - 8.0 class="bar"/>
                        <text x=LABEL_WIDTH + length + 6.0 y=y + 17.0>{shown}</text>
                    </g>
                }
            })
            .collect_view();
        let title = format!("Chart: {name} per row");
        let label = title.clone();
        view! {
            <svg class="chart" role="img" aria-label=label
                viewBox=format!("0 0 {} {height}", LABEL_WIDTH + BAR_WIDTH + 90.0)>
                <title>{title}</title>
                {bars}
            </svg>
        }
    };
    view! {
        <section aria-labelledby="chart-title">
            <h2 id="chart-title">"Chart"</h2>
            <label>"Chart shows "
                <select on:change=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                        if i < MEASURES.len() { measure.set(i); }
                    }
                }>
                    {MEASURES.iter().enumerate().map(|(i, (name, _, _))| view! {
                        <option value=i.to_string()>{*name}</option>
                    }).collect_view()}
                </select>
            </label>
            {draw}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::{bar_lengths, BAR_WIDTH};

    #[test]
    fn the_longest_bar_fills_the_width() {
        assert_eq!(bar_lengths(&[]), Vec::<f64>::new());
        assert_eq!(bar_lengths(&[0, 0]), vec![0.0, 0.0]);
        let l = bar_lengths(&[5, 10, -3]);
        assert!((l[0] - BAR_WIDTH / 2.0).abs() < 1e-9);
        assert!((l[1] - BAR_WIDTH).abs() < 1e-9);
        assert!(l[2].abs() < 1e-9);
    }
}
