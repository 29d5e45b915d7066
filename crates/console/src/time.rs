//! Time on the console: the browser's clock and durations as people read them.

use wire::Millis;

/// Now, in milliseconds since the epoch.
#[allow(clippy::cast_possible_truncation)] // whole milliseconds fit an i64 for 292 million years
pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// A duration as `M:SS`, or `H:MM:SS` from an hour.
pub fn duration(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(duration(0), "0:00");
        assert_eq!(duration(-5), "0:00");
        assert_eq!(duration(61_999), "1:01");
        assert_eq!(duration(3_600_000 + 62_000), "1:01:02");
    }
}
