//! Handle-time reports (`GET /api/reports`): what is counted over a period, grouped one way,
//! and the calendar arithmetic both the server and a console need for day buckets.
//!
//! # The numbers (one set per row, and once more for the whole period)
//! The interactions counted are those **accepted in the period** `[from, to)`: an agent took
//! them (from an offer, the queue, or the `Chat` button) at `accepted_at`, with
//! `from <= accepted_at < to`. Every other figure is about those interactions, whenever its
//! own moments fall:
//! - `chats`: how many there are.
//! - `handle_time_ms`: the sum of their handle-time segments (the time an agent had the
//!   interaction's view open, as recorded and validated by the server), by any agent.
//! - `avg_handle_time_ms`: `handle_time_ms / chats`, rounded to the nearest millisecond.
//! - `responded` and `avg_first_response_ms`: first response time, as contact centers define
//!   it: from the contact's first message in the interaction to the first agent message written
//!   at or after it. Only interactions with both count (`responded` of them); an interaction
//!   the agent opened, with no contact message yet, has none.
//! - `waited` and `avg_wait_ms`: wait time, from the interaction's creation (the contact's
//!   message that put it in the queue) to its accept. Only interactions that entered the queue
//!   count (`waited` of them); a chat an agent started themselves never waited.
//! - `ended`: how many have ended (by the agent, the contact, or the system).
//! - `done`: how many are marked Done.
//!
//! Averages are `null` when nothing was counted.

use crate::ids::{AgentId, DispositionCode};
use crate::model::Channel;
use crate::Millis;
use serde::{Deserialize, Serialize};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// The longest period one report may cover, in days.
pub const MAX_REPORT_DAYS: i64 = 400;
/// The largest time-zone offset accepted, in minutes either side of UTC (UTC−12:00 to
/// UTC+14:00 are the zones in use; ±14 hours covers both).
pub const MAX_TZ_OFFSET_MINUTES: i32 = 14 * 60;

/// How a report's rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportGroup {
    /// One row per agent holding the interactions.
    Agent,
    /// One row per local day of the accept.
    Day,
    /// One row per channel.
    Channel,
    /// One row per disposition code (and one for none).
    Disposition,
    /// One row per agent and local day.
    AgentDay,
}

impl ReportGroup {
    /// Every grouping, in the order a console offers them.
    pub const ALL: [ReportGroup; 5] = [
        ReportGroup::Agent,
        ReportGroup::Day,
        ReportGroup::Channel,
        ReportGroup::Disposition,
        ReportGroup::AgentDay,
    ];

    /// The name in the query string.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportGroup::Agent => "agent",
            ReportGroup::Day => "day",
            ReportGroup::Channel => "channel",
            ReportGroup::Disposition => "disposition",
            ReportGroup::AgentDay => "agent_day",
        }
    }

    /// The grouping called `s`.
    pub fn parse(s: &str) -> Option<ReportGroup> {
        ReportGroup::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// Whether rows carry an agent.
    pub fn by_agent(self) -> bool {
        matches!(self, ReportGroup::Agent | ReportGroup::AgentDay)
    }

    /// Whether rows carry a day.
    pub fn by_day(self) -> bool {
        matches!(self, ReportGroup::Day | ReportGroup::AgentDay)
    }
}

/// The numbers of one row (see the module documentation for each definition).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportFigures {
    /// Interactions accepted in the period.
    pub chats: i64,
    /// Their handle time (sum of their segments).
    pub handle_time_ms: i64,
    /// `handle_time_ms / chats`; `null` with no chats.
    pub avg_handle_time_ms: Option<i64>,
    /// How many have a first response time (a contact message, then an agent reply).
    pub responded: i64,
    /// Their average first response time; `null` when none responded.
    pub avg_first_response_ms: Option<i64>,
    /// How many entered the queue before they were accepted.
    pub waited: i64,
    /// Their average wait from creation to accept; `null` when none waited.
    pub avg_wait_ms: Option<i64>,
    /// How many have ended.
    pub ended: i64,
    /// How many are marked Done.
    pub done: i64,
}

/// The sums a row's figures are computed from, added up in SQL and combinable for totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportSums {
    /// Interactions.
    pub chats: i64,
    /// Their handle time.
    pub handle_time_ms: i64,
    /// Interactions with a first response time.
    pub responded: i64,
    /// The sum of those first response times.
    pub first_response_ms: i64,
    /// Interactions that waited in the queue.
    pub waited: i64,
    /// The sum of those waits.
    pub wait_ms: i64,
    /// Interactions ended.
    pub ended: i64,
    /// Interactions Done.
    pub done: i64,
}

impl ReportSums {
    /// Adds another row's sums (totals over rows).
    pub fn add(&mut self, other: &ReportSums) {
        self.chats += other.chats;
        self.handle_time_ms += other.handle_time_ms;
        self.responded += other.responded;
        self.first_response_ms += other.first_response_ms;
        self.waited += other.waited;
        self.wait_ms += other.wait_ms;
        self.ended += other.ended;
        self.done += other.done;
    }

    /// The figures shown, averages rounded to the nearest millisecond.
    pub fn figures(&self) -> ReportFigures {
        ReportFigures {
            chats: self.chats,
            handle_time_ms: self.handle_time_ms,
            avg_handle_time_ms: average(self.handle_time_ms, self.chats),
            responded: self.responded,
            avg_first_response_ms: average(self.first_response_ms, self.responded),
            waited: self.waited,
            avg_wait_ms: average(self.wait_ms, self.waited),
            ended: self.ended,
            done: self.done,
        }
    }
}

/// `sum / count` rounded half away from zero; `None` for no count.
pub fn average(sum: i64, count: i64) -> Option<i64> {
    if count <= 0 {
        return None;
    }
    let (sum, count) = (i128::from(sum), i128::from(count));
    let rounded = if sum >= 0 {
        (2 * sum + count) / (2 * count)
    } else {
        -((-2 * sum + count) / (2 * count))
    };
    i64::try_from(rounded).ok()
}

/// One row: the group's key (the fields of its grouping; the others are `null`) and numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRow {
    /// The agent holding the interactions (by agent); `null` for interactions nobody holds.
    pub agent_id: Option<AgentId>,
    /// That agent's display name, as now.
    pub agent_name: Option<String>,
    /// The local day of the accept, `YYYY-MM-DD` (by day).
    pub day: Option<String>,
    /// The channel (by channel).
    pub channel: Option<Channel>,
    /// The disposition code (by disposition); `null` for interactions without one.
    pub disposition: Option<DispositionCode>,
    /// The numbers.
    #[serde(flatten)]
    pub figures: ReportFigures,
}

/// `GET /api/reports`: the rows of one grouping over a period, and the period's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// Start of the period (included).
    pub from: Millis,
    /// End of the period (excluded).
    pub to: Millis,
    /// The time-zone offset days are counted in, minutes east of UTC.
    pub tz_offset: i32,
    /// The grouping.
    pub group_by: ReportGroup,
    /// The rows, ordered by their key (agents by name, days and the rest in order).
    pub rows: Vec<ReportRow>,
    /// The whole period (every row added up).
    pub totals: ReportFigures,
}

/// The day number (days since 1970-01-01) of a civil date, proleptic Gregorian.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number (days since 1970-01-01).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Always 1..=31 and 1..=12 by construction; the fallbacks are never taken.
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` of a day number.
pub fn day_label(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2026, 11, 30), 20_787);
        assert_eq!(day_label(20_787), "2026-11-30");
        assert_eq!(day_label(days_from_civil(2024, 2, 29)), "2024-02-29");
        for d in -1000..80_000 {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn averages_round_to_nearest() {
        assert_eq!(average(10, 0), None);
        assert_eq!(average(10, 4), Some(3));
        assert_eq!(average(9, 4), Some(2));
        assert_eq!(average(-10, 4), Some(-3));
    }

    #[test]
    fn groups_parse_their_names() {
        for g in ReportGroup::ALL {
            assert_eq!(ReportGroup::parse(g.as_str()), Some(g));
        }
        assert_eq!(ReportGroup::parse("week"), None);
    }
}
