//! Handle-time reports, computed in one SQL statement on both backends (the definitions of the
//! numbers are in `wire::reports`; this module is their only implementation).
//!
//! # How the statement is built
//! - `t`: the interactions accepted in `[from, to)` (index `interactions_accepted`), with the
//!   key columns of the grouping, each one's handle time (`ht`: `interactions.handle_time_ms`,
//!   the sum of its validated segments, kept with them) and first response time (`frt`: the
//!   first agent message at or after the first contact message, minus it — both times kept on
//!   the interaction by the `messages` insert triggers of migration 0015). One range read of
//!   the interactions, nothing looked up per interaction: seeking two messages and the
//!   segments for each of 100,000 interactions cost most of a second on PostgreSQL.
//! - the outer `SELECT` adds the sums per group; averages and totals are made from the sums
//!   in Rust (`wire::reports::ReportSums`), so a total is exactly the rows added up.
//!
//! Sums are cast to `BIGINT`: PostgreSQL's `SUM(bigint)` is `numeric`.

use super::{Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::Row;
use wire::reports::{ReportGroup, ReportSums, DAY_MS};
use wire::{AgentId, Channel, DispositionCode};

/// What to report on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportQuery {
    /// Start of the period, included (ms).
    pub from: i64,
    /// End of the period, excluded (ms).
    pub to: i64,
    /// Added to a UTC time to get the local time whose date is the day bucket (ms).
    pub tz_offset_ms: i64,
    /// The grouping.
    pub group: ReportGroup,
}

/// One group's key, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportKey {
    /// The agent holding the interactions (by agent): their display name, then id, so rows
    /// sort by name.
    pub agent: Option<(String, AgentId)>,
    /// Days since 1970-01-01 in the report's time zone (by day).
    pub day: Option<i64>,
    /// The channel (by channel).
    pub channel: Option<Channel>,
    /// The disposition code (by disposition).
    pub disposition: Option<DispositionCode>,
}

/// One row of a report as the store computes it: the key and the sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// The group.
    pub key: ReportKey,
    /// Whether the group is "no agent" (interactions nobody holds) under an agent grouping.
    pub no_agent: bool,
    /// Its sums.
    pub sums: ReportSums,
}

/// The interactions of the period with the columns the groupings use, each one's handle time
/// and first response time.
const SELECTED: &str = "WITH t AS ( \
    SELECT i.id, i.agent_id, i.channel, i.disposition, i.created_at, i.accepted_at, i.queued_at, \
    i.ended_at, i.done_at, (i.accepted_at + $3) / $4 AS day_no, i.handle_time_ms AS ht, \
    i.first_reply_at - i.first_in_at AS frt \
    FROM interactions i WHERE i.accepted_at >= $1 AND i.accepted_at < $2) ";

/// The sums every row has.
const SUMS: &str = "CAST(COUNT(*) AS BIGINT) AS chats, \
    CAST(COALESCE(SUM(t.ht), 0) AS BIGINT) AS handle_time_ms, \
    CAST(COUNT(t.frt) AS BIGINT) AS responded, \
    CAST(COALESCE(SUM(t.frt), 0) AS BIGINT) AS first_response_ms, \
    CAST(SUM(CASE WHEN t.queued_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS waited, \
    CAST(COALESCE(SUM(CASE WHEN t.queued_at IS NOT NULL THEN t.accepted_at - t.created_at ELSE 0 END), 0) AS BIGINT) AS wait_ms, \
    CAST(SUM(CASE WHEN t.ended_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS ended, \
    CAST(SUM(CASE WHEN t.done_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS done";

/// The key columns of a grouping: (selected, grouped by).
fn key_columns(group: ReportGroup) -> (&'static str, &'static str) {
    match group {
        ReportGroup::Agent => (
            "t.agent_id AS agent_id, MAX(a.display_name) AS agent_name",
            "t.agent_id",
        ),
        ReportGroup::Day => ("t.day_no AS day_no", "t.day_no"),
        ReportGroup::Channel => ("t.channel AS channel", "t.channel"),
        ReportGroup::Disposition => ("t.disposition AS disposition", "t.disposition"),
        ReportGroup::AgentDay => (
            "t.agent_id AS agent_id, MAX(a.display_name) AS agent_name, t.day_no AS day_no",
            "t.agent_id, t.day_no",
        ),
    }
}

/// The whole statement for a grouping.
pub fn report_sql(group: ReportGroup) -> String {
    let (select, group_by) = key_columns(group);
    let agents = if group.by_agent() {
        "LEFT JOIN agents a ON a.id = t.agent_id "
    } else {
        ""
    };
    format!("{SELECTED}SELECT {select}, {SUMS} FROM t {agents}GROUP BY {group_by}")
}

impl Store {
    /// The report's rows, sorted by key (agents by name; interactions nobody holds last).
    pub async fn report(&self, q: &ReportQuery) -> Result<Vec<ReportLine>, StoreError> {
        let rows = sqlx::query(&report_sql(q.group))
            .bind(q.from)
            .bind(q.to)
            .bind(q.tz_offset_ms)
            .bind(DAY_MS)
            .fetch_all(self.pool())
            .await?;
        let mut lines = rows
            .iter()
            .map(|row| line(row, q.group))
            .collect::<Result<Vec<_>, StoreError>>()?;
        lines.sort_by_cached_key(ReportLine::order);
        Ok(lines)
    }
}

/// A row's place: nobody-last flag, agent (name, id), day, channel position, disposition.
type RowOrder = (
    bool,
    Option<(String, i64)>,
    Option<i64>,
    Option<usize>,
    Option<String>,
);

impl ReportLine {
    /// Where the row sorts: agents by name (nobody last), then day, channel in the UI's
    /// order, disposition code (none first).
    fn order(&self) -> RowOrder {
        let k = &self.key;
        (
            self.no_agent,
            k.agent.as_ref().map(|(name, id)| (name.clone(), id.0)),
            k.day,
            k.channel
                .and_then(|c| Channel::ALL.iter().position(|x| *x == c)),
            k.disposition.as_ref().map(|d| d.0.clone()),
        )
    }
}

/// One result row.
fn line(row: &AnyRow, group: ReportGroup) -> Result<ReportLine, StoreError> {
    let mut key = ReportKey::default();
    let mut no_agent = false;
    if group.by_agent() {
        let id: Option<i64> = row.try_get("agent_id")?;
        let name: Option<String> = row.try_get("agent_name")?;
        match id {
            Some(id) => key.agent = Some((name.unwrap_or_default(), AgentId(id))),
            None => no_agent = true,
        }
    }
    if group.by_day() {
        key.day = Some(row.try_get("day_no")?);
    }
    if group == ReportGroup::Channel {
        let stored: String = row.try_get("channel")?;
        key.channel = Some(Channel::parse(&stored).ok_or_else(|| {
            StoreError::Internal(format!("unknown channel {stored:?} in interactions"))
        })?);
    }
    if group == ReportGroup::Disposition {
        let code: Option<String> = row.try_get("disposition")?;
        key.disposition = code.map(DispositionCode);
    }
    Ok(ReportLine {
        key,
        no_agent,
        sums: ReportSums {
            chats: row.try_get("chats")?,
            handle_time_ms: row.try_get("handle_time_ms")?,
            responded: row.try_get("responded")?,
            first_response_ms: row.try_get("first_response_ms")?,
            waited: row.try_get("waited")?,
            wait_ms: row.try_get("wait_ms")?,
            ended: row.try_get("ended")?,
            done: row.try_get("done")?,
        },
    })
}
