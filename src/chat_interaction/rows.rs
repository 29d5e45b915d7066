//! The rendered rows of a [`super::log::WindowedLog`], kept in the page by key.
//!
//! Leptos' keyed `<For>` moves every kept row that an insertion at the front shifts by less
//! than the whole insertion (sliding a window of 100 rows up by 30 took 29 kept rows out of
//! the page and put them back), and the browser lays out a moved row from scratch. Here a
//! change is planned first ([`plan`]): a kept row stays where it is when it comes after the
//! last one that stayed; only the others move, and new rows are built. A window sliding
//! either way, or rows added or removed anywhere, moves nothing (a window is a slice of an
//! ordered list, so its rows never change order; for a list that does, this may move more
//! rows than the fewest possible, never a wrong one).

use super::markup::{Drawn, Markup};
use leptos::prelude::*;
use leptos::tachys::view::any_view::AnyViewState;
use leptos::tachys::view::{Mountable, Render};
use wasm_bindgen::JsCast;

/// Where a row of the new list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The old row at this index, left where it is.
    Stays(usize),
    /// The old row at this index, moved.
    Moves(usize),
    /// A row built now.
    New,
}

/// How to turn the rows keyed `old` into the rows keyed `new`.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    /// Old rows that are no longer wanted (indices into `old`).
    pub removed: Vec<usize>,
    /// For each new row, where it comes from.
    pub sources: Vec<Source>,
}

/// Plans the change from `old` to `new`. A key that occurs more often in `new` than in `old`
/// is built anew for the extra places (one row cannot be in two places).
pub fn plan<K: Eq>(old: &[K], new: &[K]) -> Plan {
    // Each old row is taken once, by the first new row with its key (a key may repeat: a
    // header shows again after another interaction's messages), or removed. A window holds
    // a hundred rows: a scan costs less than a hash map's code in the bundle.
    let mut taken = vec![false; old.len()];
    let mut sources: Vec<Source> = new
        .iter()
        .map(|k| {
            let found = (0..old.len()).find(|&j| !taken[j] && old[j] == *k);
            found.map_or(Source::New, |j| {
                taken[j] = true;
                Source::Moves(j)
            })
        })
        .collect();
    let removed: Vec<usize> = (0..old.len()).filter(|&j| !taken[j]).collect();
    // A kept row stays where it is when it comes after the last one that stayed; rows that
    // only shifted (a window sliding, rows added or removed around them) all stay.
    let mut last = None;
    for source in &mut sources {
        if let Source::Moves(j) = *source {
            if last.is_none_or(|l| j > l) {
                *source = Source::Stays(j);
                last = Some(j);
            }
        }
    }
    Plan { removed, sources }
}

/// One row in the page.
struct Row<K> {
    /// What the row shows: the row is built again when its key changes.
    key: K,
    /// The row's own element (`div.row`), the one moved or removed.
    element: web_sys::Element,
    /// The row's live parts, mounted in `element`'s markup; kept for as long as the row is
    /// shown.
    live: Vec<AnyViewState>,
    /// Owns the row's signals and effects; cleaned up when the row goes.
    owner: Owner,
}

/// The rows of one list element, by key.
pub struct Rows<K> {
    /// Owns each row's owner (the component's, so a row outlives the effect that built it).
    parent: Owner,
    /// The rows in page order.
    rows: Vec<Row<K>>,
}

impl<K: Eq + Clone> Rows<K> {
    /// No rows yet; each one built later is owned by a child of the current owner.
    pub fn new() -> Self {
        Rows {
            parent: Owner::current().unwrap_or_default(),
            rows: Vec::new(),
        }
    }

    /// Makes `into` hold one row per item, in order: `build` draws an item not shown yet
    /// (see [`Drawn`]), `class` names its row's element.
    pub fn update<T>(
        &mut self,
        into: &web_sys::Element,
        items: Vec<(K, T)>,
        class: impl Fn(&T) -> &'static str,
        build: impl Fn(T) -> Drawn,
    ) {
        if self.rows.is_empty() {
            // The element may come from an earlier log that Leptos rebuilt in place (another
            // contact's conversation): its rows are not ours to keep.
            into.set_text_content(None);
        }
        let old: Vec<K> = self.rows.iter().map(|r| r.key.clone()).collect();
        let new: Vec<K> = items.iter().map(|(k, _)| k.clone()).collect();
        let Plan { removed, sources } = plan(&old, &new);
        let mut taken: Vec<Option<Row<K>>> = self.rows.drain(..).map(Some).collect();
        for i in removed {
            if let Some(row) = taken[i].take() {
                row.discard();
            }
        }
        // Built from the last row to the first: each goes before the one after it.
        let mut next: Option<web_sys::Element> = None;
        let mut rows = Vec::with_capacity(items.len());
        let mut run = Vec::new();
        for ((key, item), source) in items.into_iter().zip(sources).rev() {
            let kept = match source {
                Source::New => {
                    let owner = self.parent.with(Owner::new);
                    let class = class(&item);
                    // Drawn untracked: what the row reads is its own business, not the list's.
                    let drawn = owner.with(|| untrack(|| build(item)));
                    run.push(Built {
                        key,
                        class,
                        drawn,
                        owner,
                    });
                    continue;
                }
                Source::Stays(j) | Source::Moves(j) => taken[j].take(),
            };
            Self::write(into, &mut run, &mut rows, &mut next);
            if let Some(row) = kept {
                if matches!(source, Source::Moves(_)) {
                    let _ = into.insert_before(&row.element, next.as_ref().map(AsRef::as_ref));
                }
                next = Some(row.element.clone());
                rows.push(row);
            }
        }
        Self::write(into, &mut run, &mut rows, &mut next);
        rows.reverse();
        self.rows = rows;
    }

    /// Puts the new rows of `run` (last row first) in the page before `next` (at the end when
    /// there is none), written as one piece of markup: the browser parses a slide's rows in
    /// one call instead of one per row. Then mounts each row's live parts; `next` becomes the
    /// first of them.
    fn write(
        into: &web_sys::Element,
        run: &mut Vec<Built<K>>,
        rows: &mut Vec<Row<K>>,
        next: &mut Option<web_sys::Element>,
    ) {
        if run.is_empty() {
            return;
        }
        let before = next.clone();
        let mut markup = Markup::new();
        for built in run.iter().rev() {
            markup.line(built.class, &built.drawn);
        }
        let markup = markup.finish();
        let written = match &before {
            Some(b) => b.insert_adjacent_html("beforebegin", &markup),
            None => into.insert_adjacent_html("beforeend", &markup),
        };
        if written.is_err() {
            run.clear();
            return;
        }
        // The run's elements, from the last: the siblings just before `before`.
        let mut element = before.map_or_else(
            || into.last_element_child(),
            |b| b.previous_element_sibling(),
        );
        for built in run.drain(..) {
            let Some(el) = element else {
                break;
            };
            element = el.previous_element_sibling();
            let Built {
                key, drawn, owner, ..
            } = built;
            let hosts = if drawn.live.is_empty() {
                None
            } else {
                el.query_selector_all("[data-live]").ok()
            };
            let live = drawn
                .live
                .into_iter()
                .enumerate()
                .map(|(i, view)| {
                    let mut state = owner.with(|| untrack(|| view.build()));
                    let host = hosts
                        .as_ref()
                        .and_then(|h| h.get(u32::try_from(i).ok()?))
                        .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                        .unwrap_or_else(|| el.clone());
                    state.mount(&host, None);
                    state
                })
                .collect();
            *next = Some(el.clone());
            rows.push(Row {
                key,
                element: el,
                live,
                owner,
            });
        }
    }
}

/// A new row drawn, not in the page yet.
struct Built<K> {
    /// Its key.
    key: K,
    /// Its element's class.
    class: &'static str,
    /// Its markup and live parts.
    drawn: Drawn,
    /// Owns what drawing it created.
    owner: Owner,
}

impl<K> Row<K> {
    /// Takes the row out of the page and disposes of what it owns.
    fn discard(mut self) {
        self.element.remove();
        for view in &mut self.live {
            view.unmount();
        }
        self.owner.cleanup();
    }
}

impl<K> Drop for Rows<K> {
    /// The log is gone: so are its rows, also where Leptos keeps the list element for the
    /// next log.
    fn drop(&mut self) {
        for row in self.rows.drain(..) {
            row.discard();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{plan, Plan, Source};

    #[test]
    fn sliding_either_way_moves_nothing() {
        let old: Vec<u32> = (30..130).collect();
        let up: Vec<u32> = (0..100).collect();
        let p = plan(&old, &up);
        assert_eq!(p.removed, (70..100).collect::<Vec<usize>>());
        assert!(p.sources[..30].iter().all(|s| *s == Source::New));
        assert!(p.sources[30..]
            .iter()
            .enumerate()
            .all(|(i, s)| *s == Source::Stays(i)));
        let down: Vec<u32> = (60..160).collect();
        let p = plan(&old, &down);
        assert_eq!(p.removed, (0..30).collect::<Vec<usize>>());
        assert!(!p.sources.iter().any(|s| matches!(s, Source::Moves(_))));
        // Rows added in the middle and at both ends: none of the kept ones moves.
        let p = plan(&[2, 4, 6], &[1, 2, 3, 4, 5, 6, 7]);
        assert!(!p.sources.iter().any(|s| matches!(s, Source::Moves(_))));
    }

    #[test]
    fn rows_out_of_order_move() {
        // c comes first and stays; a, now after it, moves; b is rebuilt under a new key; d
        // goes.
        let p = plan(&["a", "b", "c", "d"], &["c", "a", "b2", "e"]);
        assert_eq!(
            p,
            Plan {
                removed: vec![1, 3],
                sources: vec![Source::Stays(2), Source::Moves(0), Source::New, Source::New],
            }
        );
        let p = plan(&[1, 2, 3, 4, 5], &[5, 4, 3, 2, 1]);
        assert_eq!(p.sources[0], Source::Stays(4));
        assert!(p.sources[1..].iter().all(|s| matches!(s, Source::Moves(_))));
        assert!(p.removed.is_empty());
    }

    #[test]
    fn a_repeated_key_is_built_twice_and_nothing_is_lost() {
        let p = plan(&[1, 2], &[2, 2, 1]);
        assert_eq!(
            p.sources,
            vec![Source::Stays(1), Source::New, Source::Moves(0)]
        );
        assert_eq!(
            plan::<u8>(&[], &[]),
            Plan {
                removed: vec![],
                sources: vec![]
            }
        );
        // A key twice in the old rows: the first is taken, the second removed.
        let p = plan(&["h", "a", "h", "b"], &["a", "h", "b", "c"]);
        assert_eq!(p.removed, vec![2]);
        assert_eq!(
            p.sources,
            vec![
                Source::Stays(1),
                Source::Moves(0),
                Source::Stays(3),
                Source::New
            ]
        );
        assert_eq!(plan(&[7], &[]).removed, vec![0]);
    }
}
