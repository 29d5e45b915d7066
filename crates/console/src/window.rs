//! A windowed table: however many rows there are, only those near the viewport are in the
//! page, so a queue of thousands scrolls as smoothly as one of ten. It is an ARIA table (rows
//! carry `aria-rowindex`, the table `aria-rowcount`), so a screen reader knows the whole size.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Rows drawn above and below the visible ones.
const OVERSCAN: usize = 8;

/// The rows `first..last` to draw for a scroll position.
pub fn visible(len: usize, scroll_top: f64, view_height: f64, row_height: f64) -> (usize, usize) {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // small, non-negative
    let at = |px: f64| (px.max(0.0) / row_height) as usize;
    let first = at(scroll_top).saturating_sub(OVERSCAN).min(len);
    let last = (at(scroll_top + view_height) + 1 + OVERSCAN).min(len);
    (first, last.max(first))
}

/// A table of `rows` with `headers`; `cells` draws one row's cells (each a `role="cell"`).
/// Rows are keyed by their position and content: a fresh copy of the same rows (the board read
/// again) leaves the page as it is, so a control someone is using is not replaced under them.
#[component]
pub fn WindowedTable<T, C, V>(
    /// The table's name (`aria-label`).
    label: &'static str,
    /// Column headers.
    headers: &'static [&'static str],
    /// The rows, in order.
    rows: Signal<Vec<T>>,
    /// Draws one row's cells.
    cells: C,
    /// Each row's height in pixels (the style gives rows this height).
    #[prop(default = 44.0)]
    row_height: f64,
) -> impl IntoView
where
    T: Clone + std::fmt::Debug + Send + Sync + 'static,
    C: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let scroll_top = RwSignal::new(0.0_f64);
    let view_height = RwSignal::new(600.0_f64);
    let on_scroll = move |ev: leptos::ev::Event| {
        if let Some(el) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        {
            scroll_top.set(f64::from(el.scroll_top()));
            view_height.set(f64::from(el.client_height()));
        }
    };
    let range = Memo::new(move |_| {
        rows.with(|r| visible(r.len(), scroll_top.get(), view_height.get(), row_height))
    });
    #[allow(clippy::cast_precision_loss)] // row counts are far below 2^52
    let spacer = move |n: usize| format!("height: {}px", n as f64 * row_height);
    let count = move || rows.with(Vec::len) + 1;
    view! {
        <div class="wtable" role="table" aria-label=label aria-rowcount=count>
            <div class="wrow whead" role="row" aria-rowindex="1">
                {headers.iter().map(|h| view! { <span role="columnheader">{*h}</span> }).collect_view()}
            </div>
            <div class="wbody" on:scroll=on_scroll>
                <div style=move || spacer(range.get().0)></div>
                <For
                    each=move || {
                        let (first, last) = range.get();
                        rows.with(|r| {
                            r[first..last]
                                .iter()
                                .enumerate()
                                .map(|(i, row)| (first + i, row.clone()))
                                .collect::<Vec<_>>()
                        })
                    }
                    key=|(i, row)| format!("{i}:{row:?}")
                    children=move |(i, row)| {
                        view! {
                            <div class="wrow" role="row" aria-rowindex=i + 2
                                style=format!("height: {row_height}px")>
                                {cells(row)}
                            </div>
                        }
                    }
                />
                <div style=move || spacer(rows.with(Vec::len).saturating_sub(range.get().1))></div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::visible;

    #[test]
    fn draws_only_rows_near_the_viewport() {
        assert_eq!(visible(0, 0.0, 600.0, 40.0), (0, 0));
        assert_eq!(visible(5, 0.0, 600.0, 40.0), (0, 5));
        assert_eq!(visible(10_000, 0.0, 400.0, 40.0), (0, 19));
        assert_eq!(visible(10_000, 40_000.0, 400.0, 40.0), (992, 1019));
        assert_eq!(visible(10_000, 1e9, 400.0, 40.0), (10_000, 10_000));
    }
}
