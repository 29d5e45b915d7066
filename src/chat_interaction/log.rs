//! A transcript that renders only the [`Window`] of its entries near the viewport, keeps its
//! scroll position per place (interaction or contact) between visits, follows new messages
//! while the agent is at the bottom, and asks for older pages at the top.
//!
//! Entries outside the window are stood in for by two spacers sized from the average height of
//! the rendered rows, so the scrollbar reflects the whole loaded conversation: dragging it to
//! the middle moves the window there.

use super::markup::Drawn;
use super::rows::Rows;
use super::transcript::{Entry, EntryKey};
use super::window::Window;
use crate::shell::state::desk;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Pixels from an edge at which the window slides.
const EDGE: f64 = 400.0;
/// The row height assumed until rows have been measured.
const FIRST_GUESS: f64 = 48.0;

fn same(a: &Entry, b: &Entry) -> bool {
    match (a, b) {
        (Entry::Header(x), Entry::Header(y)) => x.id == y.id,
        (Entry::Message(x), Entry::Message(y)) => x.id == y.id,
        (Entry::Pending(x), Entry::Pending(y)) => x.client_id == y.client_id,
        _ => false,
    }
}

/// The first message of a list (headers move when earlier messages of their interaction
/// arrive; messages do not) and its index.
fn first_message(list: &[Entry]) -> Option<(usize, Entry)> {
    list.iter()
        .position(|e| matches!(e, Entry::Message(_)))
        .map(|i| (i, list[i].clone()))
}

/// How many messages on their way end the list: one more when the agent has just sent one.
fn on_their_way(list: &[Entry]) -> u32 {
    list.iter()
        .rev()
        .take_while(|e| matches!(e, Entry::Pending(_)))
        .fold(0, |n, _| n + 1)
}

/// How many entries were added before the old first message, now at a later index.
fn prepended(list: &[Entry], old_first: Option<&(usize, Entry)>) -> usize {
    let Some((old_index, first)) = old_first else {
        return 0;
    };
    list.iter()
        .skip(*old_index)
        .position(|e| same(e, first))
        .unwrap_or(0)
}

/// The first rendered message row in view (headers move when earlier messages of their
/// interaction arrive) and its distance from the top of the view.
fn anchor_row(
    log: &web_sys::HtmlElement,
    rows: &web_sys::HtmlElement,
) -> Option<(web_sys::HtmlElement, i32)> {
    let t = log.scroll_top();
    let children = rows.children();
    (0..children.length())
        .filter_map(|i| children.item(i))
        .filter_map(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        .find(|e| e.offset_top() + e.offset_height() > t && !e.class_list().contains("header"))
        .map(|e| {
            let offset = e.offset_top() - t;
            (e, offset)
        })
}

/// The log's elements and how many [`keep_in_place`] calls wait for their frame.
#[derive(Clone, Copy)]
struct Scroller {
    /// The scrolled element.
    log: NodeRef<leptos::html::Div>,
    /// The rendered rows.
    block: NodeRef<leptos::html::Div>,
    /// Changes made whose scroll position is not put back yet: until it is, a scroll event
    /// reads a position that belongs to the rows before the change (an older page arrived
    /// and the rows moved down by its height, say) and would move the window to the wrong
    /// place. The scroll handler waits for the frame, which looks again itself.
    pending: StoredValue<u32>,
    /// How far the log itself has scrolled the transcript, in all (each [`Scroller::scroll_to`]
    /// adds its move): whatever else moved it between a change and its frame was the agent
    /// (a wheel, a key, the scrollbar), and [`keep_in_place`] keeps that move.
    own: StoredValue<i32>,
    /// Where the agent was reading when the first change not put back yet began: the frame
    /// after puts the position back once for every change made since (an older page arriving
    /// while the window slides, say), measured from before the first.
    anchor: StoredValue<Option<Anchor>, LocalStorage>,
    /// Set while the log looks again from its own frame callback (after a change was put
    /// back): a slide made then must be drawn and put back before that frame is painted, as a
    /// put-back asked for the next frame would let this one show the rows moved.
    in_frame: StoredValue<bool>,
}

/// The row the agent reads, before a change.
struct Anchor {
    /// The first message row in view (headers move when earlier messages of their
    /// interaction arrive; messages do not).
    row: web_sys::HtmlElement,
    /// Its distance from the top of the view.
    offset: i32,
    /// The scroll position.
    top: i32,
    /// [`Scroller::own`]: what it gains until the frame was the log's own moving.
    own: i32,
}

impl Scroller {
    /// Scrolls the transcript to `top` (the browser clamps it) and counts the move as the
    /// log's own.
    fn scroll_to(self, el: &web_sys::HtmlElement, top: i32) {
        let before = el.scroll_top();
        el.set_scroll_top(top);
        let moved = el.scroll_top() - before;
        self.own.update_value(|n| *n += moved);
    }
}

/// Notes the row the agent reads, unless a change before this one, not put back yet, noted it.
fn note_anchor(scroller: Scroller) {
    let Scroller {
        log,
        block,
        own,
        anchor,
        ..
    } = scroller;
    if anchor.with_value(Option::is_none) {
        if let (Some(l), Some(b)) = (log.get_untracked(), block.get_untracked()) {
            anchor.set_value(anchor_row(&l, &b).map(|(row, offset)| Anchor {
                row,
                offset,
                top: l.scroll_top(),
                own: own.get_value(),
            }));
        }
    }
}

/// Puts the row noted by [`note_anchor`] back where it was on screen, keeping what the agent
/// scrolled since.
fn put_back(scroller: Scroller, el: &web_sys::HtmlElement) {
    let first = scroller.anchor.try_update_value(Option::take).flatten();
    if let Some(a) = first.filter(|a| a.row.is_connected()) {
        // What the agent scrolled since the change is kept, not put back: the position
        // moved by more than the log moved it. A position the browser cut short because the
        // change made the transcript shorter is at the bottom: no move of the agent's.
        let now = el.scroll_top();
        let at_bottom = now + el.client_height() >= el.scroll_height() - 1;
        let mut agent = now - a.top - (scroller.own.try_get_value().unwrap_or(a.own) - a.own);
        if at_bottom && agent < 0 {
            agent = 0;
        }
        let target = a.row.offset_top() - a.offset + agent;
        if target < 0 {
            // At the very top, rows drawn in place of the spacer came out shorter than its
            // guess, and no scroll reaches above the top: the spacer keeps the difference,
            // so the row stays where it was (until the window changes again).
            grow_top_spacer(scroller, -target);
        }
        scroller.scroll_to(el, target.max(0));
    }
}

/// Makes the spacer above the rendered rows `px` taller than it is.
fn grow_top_spacer(scroller: Scroller, px: i32) {
    let spacer = scroller
        .block
        .try_get_untracked()
        .flatten()
        .and_then(|b| b.previous_element_sibling())
        .and_then(|s| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(s).ok());
    if let Some(s) = spacer {
        let _ = s.set_attribute("style", &format!("height: {}px", s.offset_height() + px));
    }
}

/// Runs `change` (which re-renders rows or resizes the spacers) so that the row the agent is
/// reading stays where it is on screen. The browser's own scroll anchoring is off for the log
/// (it does nothing at the very top, where older pages arrive).
fn keep_in_place(scroller: Scroller, change: impl FnOnce()) {
    note_anchor(scroller);
    scroller.pending.update_value(|n| *n += 1);
    change();
    request_animation_frame(move || {
        scroller
            .pending
            .try_update_value(|n| *n = n.saturating_sub(1));
        let Some(el) = scroller.log.try_get_untracked().flatten() else {
            return;
        };
        put_back(scroller, &el);
        // Look again at what is in view, also when the position did not change (no scroll
        // event would come): the window may have to slide further, or an older page be asked.
        if let Ok(event) = web_sys::Event::new("scroll") {
            scroller.in_frame.set_value(true);
            let _ = el.dispatch_event(&event);
            scroller.in_frame.try_set_value(false);
        }
    });
}

/// [`keep_in_place`] for a change made in a frame callback, which must be in the page when
/// `change` returns: the position is put back at once, before the frame is painted (put back
/// in the next frame, the change would be painted once where the agent was not reading).
fn keep_in_place_now(scroller: Scroller, change: impl FnOnce()) {
    note_anchor(scroller);
    change();
    if let Some(el) = scroller.log.get_untracked() {
        put_back(scroller, &el);
    }
}

/// Looks again at what is in view (a `scroll` event to the log, after the settling time that
/// follows a jump) when the log changes size: the browser window resized, a notice shown or
/// dismissed above it. No scroll event comes, and the rendered rows may no longer reach its
/// edges, or a log following the newest message may have that message under its edge.
fn look_again_on_resize(log: NodeRef<leptos::html::Div>, settle_until: StoredValue<i64>) {
    // The size last seen: the observer's first report (when it starts) changes nothing.
    let seen = StoredValue::new((0, 0));
    let look = Closure::<dyn FnMut()>::new(move || {
        let Some(el) = log.try_get_untracked().flatten() else {
            return;
        };
        let size = (el.client_width(), el.client_height());
        let before = seen.try_get_value().unwrap_or(size);
        seen.set_value(size);
        if before == (0, 0) || before == size {
            return;
        }
        let wait = settle_until.get_value() - crate::browser::now();
        set_timeout(
            move || {
                if let (Some(el), Ok(event)) = (
                    log.try_get_untracked().flatten(),
                    web_sys::Event::new("scroll"),
                ) {
                    let _ = el.dispatch_event(&event);
                }
            },
            std::time::Duration::from_millis(u64::try_from(wait).unwrap_or(0)),
        );
    });
    let Ok(observer) = web_sys::ResizeObserver::new(look.as_ref().unchecked_ref()) else {
        return;
    };
    // Both live as long as the log: disconnected when it goes, the callback dropped with them.
    let kept = StoredValue::new_local((observer, look));
    log.on_load(move |el| kept.with_value(|(o, _)| o.observe(&el)));
    on_cleanup(move || {
        kept.try_with_value(|(o, _)| o.disconnect());
    });
}

/// Scrolls the rendered row of entry `index` (the window `w` is rendered in `block`) to the
/// middle of the view; nothing when it is not rendered.
fn center_row(block: NodeRef<leptos::html::Div>, w: Window, index: usize) {
    let Some(rows) = block.try_get_untracked().flatten() else {
        return;
    };
    if !w.shows(index) {
        return;
    }
    let mut row = rows.first_element_child();
    for _ in w.start..index {
        row = row.and_then(|r| r.next_element_sibling());
    }
    if let Some(row) = row {
        crate::browser::scroll_to_middle(&row);
    }
}

/// The height standing in for `rows` unrendered rows.
#[allow(clippy::cast_precision_loss, reason = "row counts are far below 2^52")]
fn spacer_px(rows: usize, row_height: f64) -> f64 {
    rows as f64 * row_height
}

/// [`spacer_px`] as a CSS length, in whole pixels (integer formatting keeps the float
/// formatter out of the bundle).
#[allow(
    clippy::cast_possible_truncation,
    reason = "a pixel height, far inside i64"
)]
fn spacer(rows: usize, row_height: f64) -> String {
    format!("{}px", spacer_px(rows, row_height).round() as i64)
}

/// Sizes the two spacers beside the rendered rows `rows` for the window `w` of `len` entries
/// at once, rather than by their effects later (a change made in a frame callback).
fn size_spacers(rows: &web_sys::HtmlElement, w: Window, len: usize, row_height: f64) {
    let [above, below] = unrendered(w, len);
    for (spacer_el, n) in [
        (rows.previous_element_sibling(), above),
        (rows.next_element_sibling(), below),
    ] {
        if let Some(s) = spacer_el {
            let _ = s.set_attribute("style", &format!("height: {}", spacer(n, row_height)));
        }
    }
}

/// The entries the two spacers stand in for, above and below the rendered window `w` of `len`.
fn unrendered(w: Window, len: usize) -> [usize; 2] {
    [w.start, len.saturating_sub(w.end)]
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
    render: Callback<Entry, Drawn>,
    /// A token per entry: its row is drawn again when its token changes (search highlighting).
    #[prop(optional)]
    redraw: Option<Callback<Entry, String>>,
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
    let block = NodeRef::<leptos::html::Div>::new();
    let scroller = Scroller {
        log,
        block,
        pending: StoredValue::new(0),
        own: StoredValue::new(0),
        anchor: StoredValue::new_local(None),
        in_frame: StoredValue::new(false),
    };
    // The average rendered row height, which sizes the spacers.
    let row_height = RwSignal::new(FIRST_GUESS);
    let saved = interactions
        .positions
        .with_value(|p| p.iter().find(|(k, _)| *k == place).map(|(_, v)| *v));
    let len0 = list.with_untracked(Vec::len);
    let window = RwSignal::new(saved.map_or_else(|| Window::tail(len0), |(w, _)| w.fit(len0, 0)));
    let top = StoredValue::new(saved.map_or(0, |(_, t)| t));
    let last = StoredValue::new(list.with_untracked(|l| first_message(l)));
    let sent = StoredValue::new(list.with_untracked(|l| on_their_way(l)));
    // The log's own moves ([`Scroller::own`]) at the last scroll event: with `top`, what the
    // agent scrolled between two events.
    let seen_own = StoredValue::new(0i32);
    // After a jump (a search hit) the window stays put until the hit has been scrolled to.
    let settle_until = StoredValue::new(0i64);

    let to_bottom = move || {
        // The frame may come after the log was removed: read it only if it still exists.
        request_animation_frame(move || {
            if let Some(el) = log.try_get_untracked().flatten() {
                scroller.scroll_to(&el, el.scroll_height());
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
                        scroller.scroll_to(&el, t);
                    }
                });
            }
        }
    });
    Effect::new(move |_| {
        let (len, moved) = list.with(|l| {
            let old_first = last.get_value();
            (l.len(), prepended(l, old_first.as_ref()))
        });
        last.set_value(list.with_untracked(|l| first_message(l)));
        // A message the agent sends brings the newest entries into view, wherever they were
        // reading (a retry of one that failed does not).
        let pending = list.with_untracked(|l| on_their_way(l));
        let own_send = pending > sent.get_value();
        sent.set_value(pending);
        let w = if own_send {
            Window::tail(len)
        } else {
            window.get_untracked().fit(len, moved)
        };
        if w.follow {
            window.set(w);
            to_bottom();
        } else {
            keep_in_place(scroller, || window.set(w));
        }
    });
    // The transcript's height when last seen (0: not yet), so that placing a window does not
    // make the browser lay the page out to read it.
    let view_px = StoredValue::new(0i32);
    if let Some(reveal) = reveal {
        Effect::new(move |_| {
            let Some(i) = reveal.get() else {
                return;
            };
            // Placed in the task that changed the hit: its rows are built before the next
            // frame, which scrolls to it, so the hit is on screen after one layout.
            let len = list.with_untracked(Vec::len);
            if !window.get_untracked().shows(i) {
                settle_until.set_value(crate::browser::now() + 400);
                let mut view = view_px.get_value();
                if view <= 0 {
                    view = log.get_untracked().map_or(0, |el| el.client_height());
                }
                window.set(Window::filling(i, len, view));
            }
            // The window is placed on this list already: no shift for earlier pages.
            last.set_value(list.with_untracked(|l| first_message(l)));
            request_animation_frame(move || {
                if let Some(w) = window.try_get_untracked() {
                    center_row(block, w, i);
                }
            });
        });
    }
    look_again_on_resize(log, settle_until);
    // Measures the rendered rows once they are drawn.
    Effect::new(move |_| {
        let w = window.get();
        request_animation_frame(move || {
            let Some(el) = block.try_get_untracked().flatten() else {
                return;
            };
            let rows = w.end.saturating_sub(w.start);
            if rows > 0 {
                let h = f64::from(el.offset_height()) / spacer_px(rows, 1.0);
                if h > 1.0 && (h - row_height.get_untracked()).abs() > 0.5 {
                    keep_in_place_now(scroller, || {
                        row_height.set(h);
                        let len = list.with_untracked(Vec::len);
                        size_spacers(&el, window.get_untracked(), len, h);
                    });
                }
            }
        });
    });
    // The rows in the window, kept by key (see `rows`): built when they come into the window
    // or their redraw token changes, removed when they leave it. Drawn when the window is set,
    // not when the list changes: every change of the list sets the window (above), shifted by
    // what came before it, and the list with the window not yet shifted would draw other rows.
    // A slide made in a frame callback draws them at once as well (`Scroller::in_frame`).
    let shown = std::rc::Rc::new(std::cell::RefCell::new(Rows::<(EntryKey, String)>::new()));
    let draw = std::rc::Rc::new(move |into: &web_sys::HtmlDivElement, w: Window| {
        let items = list.with_untracked(|l| {
            l.get(w.start.min(l.len())..w.end.min(l.len()))
                .unwrap_or_default()
                .iter()
                .map(|e| {
                    let token = redraw.map(|r| r.run(e.clone())).unwrap_or_default();
                    ((e.key(), token), e.clone())
                })
                .collect::<Vec<_>>()
        });
        shown.borrow_mut().update(
            into,
            items,
            |e| {
                if matches!(e, Entry::Header(_)) {
                    "row header"
                } else {
                    "row"
                }
            },
            |e| render.run(e),
        );
    });
    Effect::new({
        let draw = draw.clone();
        move |_| {
            if let Some(into) = block.get() {
                draw(&into, window.get());
            }
        }
    });
    let on_scroll = move |_| {
        let (Some(el), Some(rows)) = (log.get_untracked(), block.get_untracked()) else {
            return;
        };
        let (t, height, full) = (el.scroll_top(), el.client_height(), el.scroll_height());
        view_px.set_value(height);
        if scroller.pending.get_value() > 0 {
            return;
        }
        let own = scroller.own.get_value();
        let agent_scrolled_up = (t - top.get_value()) - (own - seen_own.get_value()) < 0;
        top.set_value(t);
        seen_own.set_value(own);
        if crate::browser::now() < settle_until.get_value() {
            return;
        }
        let len = list.with_untracked(Vec::len);
        let w = window.get_untracked();
        let at_bottom = full - t - height < 24;
        // Where the rendered rows are in the scrolled content (the log is their offset parent).
        let (rows_top, rows_bottom) = (
            f64::from(rows.offset_top()),
            f64::from(rows.offset_top() + rows.offset_height()),
        );
        let (view_top, view_bottom) = (f64::from(t), f64::from(t + height));
        let slide = |next: Window| {
            if scroller.in_frame.get_value() {
                keep_in_place_now(scroller, || {
                    window.set(next);
                    draw(&rows, next);
                    size_spacers(&rows, next, len, row_height.get_untracked());
                });
            } else {
                keep_in_place(scroller, || window.set(next));
            }
        };
        if view_bottom <= rows_top || view_top >= rows_bottom {
            // The scrollbar was dragged past the rendered rows: render where it points.
            let first = rows_top - spacer_px(w.start, row_height.get_untracked());
            window.set(Window::at(
                view_top - first,
                row_height.get_untracked(),
                len,
            ));
        } else if view_top - rows_top < EDGE && w.start > 0 {
            // Following goes on unless the agent scrolled up: the slide may come from rows
            // replaced under the view (a send's jump to the end) before the log got there.
            slide(w.up(len, at_bottom || !agent_scrolled_up));
        } else if rows_bottom - view_bottom < EDGE && w.end < len {
            slide(w.down(len));
        } else if w.follow && !at_bottom && !agent_scrolled_up {
            // Following stops when the agent scrolls up, not when the view grew shorter (the
            // composer grew, a bar appeared above it) or rows grew below it: back to the end.
            to_bottom();
        } else if at_bottom != w.follow && (w.end == len || !at_bottom) {
            window.set(Window {
                follow: at_bottom,
                ..w
            });
        }
        // Near the top of what is loaded: ask for the older page before the agent gets there
        // (at the very top no further scroll event would come to ask). Asked while the window
        // still slides towards that top, the page is there before the agent is: sliding onto
        // the first loaded rows at the very top, a row drawn shorter than the spacer's guess
        // would move what the agent reads, with no room above to put it back.
        if view_top < 3.0 * EDGE {
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
    // The frame takes the room; the transcript fills it (see the stylesheet: a slide then lays
    // out the transcript alone).
    view! {
        <div class="transcript-frame">
            <div class="transcript" role="log" aria-live="polite" aria-label=label tabindex="0"
                node_ref=log on:scroll=on_scroll>
                {children.map(|c| c())}
                <div class="spacer" aria-hidden="true"
                    style:height=move || spacer(unrendered(window.get(), list.with(Vec::len))[0], row_height.get())></div>
                <div class="rows" node_ref=block></div>
                <div class="spacer" aria-hidden="true"
                    style:height=move || spacer(unrendered(window.get(), list.with(Vec::len))[1], row_height.get())></div>
                <Show when=move || list.with(Vec::is_empty)>
                    <p class="empty">"No messages yet."</p>
                </Show>
            </div>
        </div>
    }
}
