//! The report form's choice: a period of whole days in the browser's time zone, both ends
//! included as people read them, and a grouping; and the query it makes.

use crate::time::now;
use wire::reports::{day_label, ReportGroup, DAY_MS};

/// The groupings, with the words the form shows.
pub const GROUPS: [(ReportGroup, &str); 5] = [
    (ReportGroup::Agent, "Agent"),
    (ReportGroup::Day, "Day"),
    (ReportGroup::Channel, "Channel"),
    (ReportGroup::Disposition, "Disposition"),
    (ReportGroup::AgentDay, "Agent and day"),
];

/// What the form holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The first day, `YYYY-MM-DD`.
    pub from: String,
    /// The last day, `YYYY-MM-DD` (included).
    pub to: String,
    /// The grouping.
    pub group: ReportGroup,
    /// The browser's offset from UTC, minutes east (days are the browser's days).
    pub tz_offset: i32,
}

/// The query for `/api/reports` and `/api/reports.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `from=…&to=…&group_by=…&tz_offset=…`.
    pub params: String,
    /// The grouping, for the file name.
    group: ReportGroup,
    /// The days, for the file name.
    days: (String, String),
}

impl Query {
    /// What the downloaded file is called.
    pub fn file_name(&self) -> String {
        format!(
            "threadline-report-{}-{}-to-{}.csv",
            self.group.as_str(),
            self.days.0,
            self.days.1
        )
    }
}

impl Choice {
    /// The last seven days up to today, by agent.
    pub fn last_week() -> Self {
        let tz_offset = browser_offset();
        let today = (now() + i64::from(tz_offset) * 60_000).div_euclid(DAY_MS);
        Choice {
            from: day_label(today - 6),
            to: day_label(today),
            group: ReportGroup::Agent,
            tz_offset,
        }
    }

    /// Sets the grouping from the select's value.
    pub fn set_group(&mut self, value: &str) {
        if let Some(g) = ReportGroup::parse(value) {
            self.group = g;
        }
    }

    /// The query: the server takes `to` as excluded, so the last day's end is the next day.
    pub fn query(&self) -> Query {
        let to = next_day(&self.to).unwrap_or_else(|| self.to.clone());
        Query {
            params: format!(
                "from={}&to={}&group_by={}&tz_offset={}",
                self.from,
                to,
                self.group.as_str(),
                self.tz_offset
            ),
            group: self.group,
            days: (self.from.clone(), self.to.clone()),
        }
    }
}

/// The day after `YYYY-MM-DD`, or `None` when it is not such a date (the server then says
/// what is wrong with the value as typed).
pub fn next_day(day: &str) -> Option<String> {
    let mut parts = day.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    Some(day_label(wire::reports::days_from_civil(y, m, d) + 1))
}

/// The browser's offset from UTC now, in minutes east.
#[allow(clippy::cast_possible_truncation)] // offsets are at most a few hundred minutes
fn browser_offset() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

#[cfg(test)]
mod tests {
    use super::next_day;

    #[test]
    fn the_last_day_is_included() {
        assert_eq!(next_day("2026-11-30").as_deref(), Some("2026-12-01"));
        assert_eq!(next_day("2024-02-28").as_deref(), Some("2024-02-29"));
        assert_eq!(next_day("2026-12-31").as_deref(), Some("2027-01-01"));
        assert_eq!(next_day("not a day"), None);
    }
}
