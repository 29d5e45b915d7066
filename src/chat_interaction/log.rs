//! A transcript that renders only the [`Window`] of its entries near the viewport, keeps its
//! scroll position per place (interaction or contact) between visits, follows new messages
//! while the agent is at the bottom, and asks for older pages at the top.

use super::transcript::Entry;
use super::window::Window;
use crate::shell::state::desk;
use leptos::prelude::*;

/// Pixels from an edge at which the window slides.
const EDGE: i32 = 400;

fn same(a: &Entry, b: &Entry) -> bool {
    match (a, b) {
        (Entry::Header(x), Entry::Header(y)) => x.id == y.id,
        (Entry::Message(x), Entry::Message(y)) => x.id == y.id,
        (Entry::Pending(x), Entry::Pending(y)) => x.client_id == y.client_id,
        _ => false,
    }
}

/// How many entries were added before the old first one.
fn prepended(list: &[Entry], old_first: Option<&Entry>, old_len: usize) -> usize {
    let Some(first) = old_first else { return 0 };
    let added = list.len().saturating_sub(old_len);
    list.iter()
        .take(added + 1)
        .position(|e| same(e, first))
        .unwrap_or(0)
}

/// The log.
#[component]
pub fn WindowedLog(
    /// Every entry.
    list: Memo<Vec<Entry>>,
    /// Where the position is kept between visits.
    place: String,
    /// The accessible name.
    label: &'static str,
    /// Draws one entry.
    render: Callback<Entry, AnyView>,
    /// Rows are drawn again when this changes (search highlighting).
    #[prop(optional, into)]
    redraw: Option<Signal<String>>,
    /// An index to bring into the window (a search hit).
    #[prop(optional, into)]
    reveal: Option<Signal<Option<usize>>>,
    /// Asked for when the agent reaches the top of what is loaded.
    #[prop(optional)]
    older: Option<Callback<()>>,
    /// Drawn above the entries (`Load earlier messages`).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let interactions = desk().interactions;
    let log = NodeRef::<leptos::html::Div>::new();
    let saved = interactions
        .positions
        .with_value(|p| p.iter().find(|(k, _)| *k == place).map(|(_, v)| *v));
    let len0 = list.with_untracked(Vec::len);
    let window = RwSignal::new(saved.map_or_else(|| Window::tail(len0), |(w, _)| w.fit(len0, 0)));
    let top = StoredValue::new(saved.map_or(0, |(_, t)| t));
    let last = StoredValue::new((len0, list.with_untracked(|l| l.first().cloned())));
    // After a jump (a search hit) the window stays put until the hit has been scrolled to.
    let settle_until = StoredValue::new(0i64);

    let to_bottom = move || {
        // The frame may come after the log was removed: read it only if it still exists.
        request_animation_frame(move || {
            if let Some(el) = log.try_get_untracked().flatten() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    };
    // Back where the agent left it.
    Effect::new(move |first_run: Option<()>| {
        if first_run.is_none() && log.get().is_some() {
            if window.get_untracked().follow {
                to_bottom();
            } else {
                let t = top.get_value();
                request_animation_frame(move || {
                    if let Some(el) = log.try_get_untracked().flatten() {
                        el.set_scroll_top(t);
                    }
                });
            }
        }
    });
    Effect::new(move |_| {
        let (len, moved) = list.with(|l| {
            let (old_len, old_first) = last.get_value();
            (l.len(), prepended(l, old_first.as_ref(), old_len))
        });
        last.set_value((len, list.with_untracked(|l| l.first().cloned())));
        let w = window.get_untracked().fit(len, moved);
        window.set(w);
        if w.follow {
            to_bottom();
        }
    });
    if let Some(reveal) = reveal {
        Effect::new(move |_| {
            if let Some(i) = reveal.get() {
                let (len, first) = list.with_untracked(|l| (l.len(), l.first().cloned()));
                if !window.get_untracked().shows(i) {
                    settle_until.set_value(crate::browser::now() + 400);
                    window.set(Window::around(i, len));
                }
                // The window is placed on this list already: no shift for pages loaded before.
                last.set_value((len, first));
            }
        });
    }
    let on_scroll = move |_| {
        let Some(el) = log.get_untracked() else {
            return;
        };
        let (t, height, full) = (el.scroll_top(), el.client_height(), el.scroll_height());
        top.set_value(t);
        if crate::browser::now() < settle_until.get_value() {
            return;
        }
        let len = list.with_untracked(Vec::len);
        let w = window.get_untracked();
        let at_bottom = full - t - height < 24;
        if t < EDGE && w.start > 0 {
            window.set(w.up(len));
        } else if full - t - height < EDGE && w.end < len {
            window.set(w.down(len));
        } else if at_bottom != w.follow && (w.end == len || !at_bottom) {
            window.set(Window {
                follow: at_bottom,
                ..w
            });
        }
        if t == 0 && w.start == 0 {
            if let Some(older) = older {
                older.run(());
            }
        }
    };
    on_cleanup({
        let place = place.clone();
        move || {
            let (Some(w), Some(t)) = (window.try_get_untracked(), top.try_get_value()) else {
                return;
            };
            interactions.positions.update_value(|p| {
                p.retain(|(k, _)| *k != place);
                p.push((place, (w, t)));
            });
        }
    });
    let rows = move || {
        let r = redraw.map(|s| s.get()).unwrap_or_default();
        let w = window.get();
        list.with(|l| {
            l.get(w.start.min(l.len())..w.end.min(l.len()))
                .unwrap_or_default()
                .iter()
                .map(|e| (e.clone(), r.clone()))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="transcript" role="log" aria-live="polite" aria-label=label tabindex="0"
            node_ref=log on:scroll=on_scroll>
            {children.map(|c| c())}
            <For each=rows key=|(e, r)| (e.key(), r.clone()) let:row>
                {render.run(row.0)}
            </For>
            <Show when=move || list.with(Vec::is_empty)>
                <p class="empty">"No messages yet."</p>
            </Show>
        </div>
    }
}
