//! The keyboard of a tab list (WAI-ARIA tabs pattern): arrow keys move to the previous or next
//! tab (wrapping), Home and End to the first and last; the tab that gets the focus is selected.
//! Only the selected tab is in the Tab order (`tabindex` 0, the others -1).

/// Which way a tab list runs: the arrows that move along it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    /// Left and Right move.
    Horizontal,
    /// Up and Down move.
    Vertical,
}

/// The tab a key moves to from `current` among `count` tabs, if the key moves at all.
#[must_use]
pub fn moved(key: &str, current: usize, count: usize, orientation: Orientation) -> Option<usize> {
    if count == 0 {
        return None;
    }
    let (back, forth) = match orientation {
        Orientation::Horizontal => ("ArrowLeft", "ArrowRight"),
        Orientation::Vertical => ("ArrowUp", "ArrowDown"),
    };
    match key {
        k if k == back => Some((current + count - 1) % count),
        k if k == forth => Some((current + 1) % count),
        "Home" => Some(0),
        "End" => Some(count - 1),
        _ => None,
    }
}

/// The `tabindex` of a tab: only the selected one is reached with Tab.
#[must_use]
pub fn tab_index(selected: bool) -> &'static str {
    if selected {
        "0"
    } else {
        "-1"
    }
}

#[cfg(test)]
mod tests {
    use super::{moved, Orientation};

    #[test]
    fn arrows_wrap_and_home_end_jump() {
        let h = Orientation::Horizontal;
        assert_eq!(moved("ArrowRight", 3, 4, h), Some(0));
        assert_eq!(moved("ArrowLeft", 0, 4, h), Some(3));
        assert_eq!(moved("Home", 2, 4, h), Some(0));
        assert_eq!(moved("End", 0, 4, h), Some(3));
        assert_eq!(moved("ArrowDown", 0, 4, h), None);
        assert_eq!(moved("ArrowDown", 0, 4, Orientation::Vertical), Some(1));
        assert_eq!(moved("ArrowRight", 0, 0, h), None);
    }
}
