//! Which slice of a long transcript is rendered. Only a window of entries near the viewport
//! is in the page (a 10,000-message conversation stays as light as a short one); scrolling near
//! either edge slides the window, and the log (`log.rs`, `keep_in_place`) keeps what the agent
//! reads in place while entries come and go above it (the browser's scroll anchoring is off).

/// How many entries are rendered at most.
pub const SIZE: usize = 100;
/// How far the window slides at a time.
pub const STEP: usize = 30;
/// How many entries a window placed afresh holds (the newest when a conversation opens, where
/// a dragged scrollbar points; a search hit's fills the view, see [`Window::filling`]): more
/// than a tall screen shows. It grows to
/// [`SIZE`] as the agent scrolls; drawing fewer rows at once keeps a jump short on a slow PC.
pub const FIRST: usize = 40;
/// The height of the shortest row (a system line is about 25 px): a search hit's window holds
/// enough of them to fill the view around it.
const SHORTEST_ROW_PX: i32 = 24;

/// The rendered slice `start..end` of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Window {
    /// The first rendered index.
    pub start: usize,
    /// One past the last rendered index.
    pub end: usize,
    /// The window follows the newest entries (the agent is at the bottom).
    pub follow: bool,
}

impl Window {
    /// The newest entries.
    pub fn tail(len: usize) -> Self {
        Window {
            start: len.saturating_sub(FIRST),
            end: len,
            follow: true,
        }
    }

    /// The window after the list changed length: following windows stay at the end,
    /// others keep their place (shifted by `prepended` entries added before them).
    pub fn fit(self, len: usize, prepended: usize) -> Self {
        if self.follow {
            return Window::tail(len);
        }
        let end = (self.end + prepended).min(len);
        let start = (self.start + prepended).min(end);
        Window {
            start,
            end,
            follow: false,
        }
    }

    /// Slides towards older entries. Following goes on while the agent stays at the end
    /// (`stays`: at the bottom, or not having scrolled up since the last look) and the newest
    /// entry stays in the window (a view taller than a new window's rows slides it up at
    /// once, with nobody scrolling): only scrolling up away from the end stops it.
    pub fn up(self, len: usize, stays: bool) -> Self {
        let start = self.start.saturating_sub(STEP);
        let end = (start + SIZE).min(len);
        Window {
            start,
            end,
            follow: self.follow && stays && end == len,
        }
    }

    /// Slides towards newer entries; at the end it follows again.
    pub fn down(self, len: usize) -> Self {
        let end = (self.end + STEP).min(len);
        Window {
            start: end.saturating_sub(SIZE),
            end,
            follow: end == len,
        }
    }

    /// A window of [`FIRST`] entries with `index` in its middle.
    pub fn around(index: usize, len: usize) -> Self {
        Window::around_in(index, len, FIRST)
    }

    /// A window with `index` in its middle that fills a view `view_px` high whatever the rows'
    /// heights, and holds no more (at most [`FIRST`] entries): a search hit's frame builds and
    /// lays out only what can be seen around the hit; the window grows as the agent scrolls. A
    /// view not laid out (0 px high) gets [`FIRST`].
    pub fn filling(index: usize, len: usize, view_px: i32) -> Self {
        let rows = match usize::try_from(view_px / SHORTEST_ROW_PX + 2) {
            Ok(rows) if view_px > 0 => rows.min(FIRST),
            _ => FIRST,
        };
        Window::around_in(index, len, rows)
    }

    /// A window of `rows` entries with `index` in its middle.
    fn around_in(index: usize, len: usize, rows: usize) -> Self {
        let start = index.saturating_sub(rows / 2).min(len.saturating_sub(rows));
        let end = (start + rows).min(len);
        Window {
            start,
            end,
            follow: end == len,
        }
    }

    /// The window around the entry `offset` pixels below the first one, when every entry is
    /// about `row_height` high (where a dragged scrollbar points).
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..len first"
    )]
    pub fn at(offset: f64, row_height: f64, len: usize) -> Self {
        let last = len.saturating_sub(1);
        let index = (offset / row_height.max(1.0))
            .clamp(0.0, f64::from(u32::try_from(last).unwrap_or(u32::MAX)));
        Window::around(index as usize, len)
    }

    /// Whether `index` is rendered.
    pub fn shows(self, index: usize) -> bool {
        (self.start..self.end).contains(&index)
    }
}

#[cfg(test)]
mod tests {
    use super::{Window, FIRST, SIZE, STEP};

    #[test]
    fn a_long_list_renders_only_its_window() {
        let w = Window::tail(10_000);
        assert_eq!((w.start, w.end), (10_000 - FIRST, 10_000));
        // Sliding grows it to SIZE, no further.
        let up = w.up(10_000, false);
        assert_eq!((up.start, up.end), (10_000 - FIRST - STEP, 10_000));
        assert!(!up.follow);
        let far = (0..10).fold(up, |w, _| w.up(10_000, false));
        assert_eq!(far.end - far.start, SIZE);
        assert!(up.down(10_000).follow);
    }

    /// A window slid up at the bottom (a tall view over a new window's rows) still follows,
    /// so the next message is scrolled to; slid up away from the bottom, or once the newest
    /// entry has left it, it stays where the agent reads.
    #[test]
    fn sliding_up_at_the_bottom_keeps_following() {
        let tall = Window::tail(10_000).up(10_000, true);
        assert!(tall.follow && tall.end == 10_000);
        assert_eq!(tall.fit(10_001, 0), Window::tail(10_001));
        assert!(!Window::tail(10_000).up(10_000, false).follow);
        let far = (0..10).fold(tall, |w, _| w.up(10_000, true));
        assert!(far.end < 10_000 && !far.follow);
        let reading = Window {
            follow: false,
            ..tall
        };
        assert!(!reading.up(10_000, true).follow);
    }

    #[test]
    fn new_messages_follow_and_older_pages_keep_the_place() {
        assert_eq!(Window::tail(5).fit(6, 0), Window::tail(6));
        let reading = Window {
            start: 10,
            end: 20,
            follow: false,
        };
        let after = reading.fit(600, 500);
        assert_eq!((after.start, after.end), (510, 520));
    }

    #[test]
    fn a_dragged_scrollbar_renders_where_it_points() {
        let w = Window::at(50.0 * 5_000.0, 50.0, 10_000);
        assert!(w.shows(5_000));
        assert!(!w.follow);
        assert!(Window::at(-30.0, 50.0, 10_000).shows(0));
        assert!(Window::at(1e12, 50.0, 10_000).follow);
        assert_eq!(Window::at(100.0, 0.0, 0), Window::tail(0));
    }

    #[test]
    fn a_search_hit_is_brought_into_the_window() {
        let w = Window::around(42, 10_000);
        assert!(w.shows(42));
        assert!(Window::around(9_999, 10_000).shows(9_999));
        assert!(Window::around(0, 3).shows(0));
    }

    #[test]
    fn a_hit_s_window_fills_the_view_with_the_shortest_rows() {
        // A 367-pixel view: 17 rows of 24 px with the hit in the middle.
        let w = Window::filling(5_000, 10_000, 367);
        assert_eq!((w.start, w.end), (4_992, 5_009));
        assert!(!w.follow);
        // A tall view, or one not laid out, holds a window placed afresh.
        for view in [4_000, 0] {
            let w = Window::filling(5_000, 10_000, view);
            assert_eq!(w.end - w.start, FIRST);
            assert!(w.shows(5_000));
        }
        // At either end of the list the window keeps its size and the hit.
        let last = Window::filling(9_999, 10_000, 367);
        assert!(last.shows(9_999) && last.follow && last.end - last.start == 17);
        assert!(Window::filling(0, 3, 367).shows(0));
    }
}
