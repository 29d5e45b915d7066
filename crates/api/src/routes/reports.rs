//! `/api/reports`: handle-time reports for supervisors and administrators (agents get 403),
//! as JSON or as a CSV download. The numbers are defined in `wire::reports` and computed by
//! `store::reports`; this module checks the period and shapes the answer.
//!
//! # Parameters
//! - `from`, `to`: the period `[from, to)`, each milliseconds since the epoch, an RFC 3339 time
//!   (`2026-11-30T08:00:00Z`, `…+01:00`), or a date (`2026-11-30`, midnight in `tz_offset`).
//!   `from < to`, at most 400 days apart.
//! - `group_by`: `agent`, `day`, `channel`, `disposition` or `agent_day`.
//! - `tz_offset`: minutes east of UTC for day buckets and dates (default 0, ±840 at most).

use crate::auth::SupervisorAuth;
use crate::error::{ApiError, QueryParams};
use crate::state::AppState;
use crate::store::{ReportLine, ReportQuery};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::reports::{
    day_label, days_from_civil, Report, ReportGroup, ReportRow, ReportSums, DAY_MS,
    MAX_REPORT_DAYS, MAX_TZ_OFFSET_MINUTES,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(report_csv))
}

/// The report's parameters, as sent.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ReportParams {
    /// Start of the period (included): milliseconds, RFC 3339 time, or `YYYY-MM-DD`.
    from: String,
    /// End of the period (excluded): milliseconds, RFC 3339 time, or `YYYY-MM-DD`.
    to: String,
    /// `agent`, `day`, `channel`, `disposition` or `agent_day`.
    group_by: String,
    /// Minutes east of UTC that days are counted in (default 0).
    tz_offset: Option<i32>,
}

/// Figures per agent, day, channel or disposition over a period, with the period's totals.
#[utoipa::path(get, path = "/api/reports", tag = "reports", security(("bearer" = [])), params(ReportParams),
    responses((status = 200, body = Report), (status = 400, body = wire::ErrorBody),
        (status = 403, description = "Supervisors and administrators only.", body = wire::ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    QueryParams(p): QueryParams<ReportParams>,
) -> Result<Json<Report>, ApiError> {
    let q = checked(&p)?;
    let lines = state.store.report(&q).await?;
    Ok(Json(assemble(&q, &lines)))
}

/// The same report as a CSV file (one line per row, then `Total`).
#[utoipa::path(get, path = "/api/reports.csv", tag = "reports", security(("bearer" = [])), params(ReportParams),
    responses((status = 200, description = "The report as CSV.", content_type = "text/csv", body = String),
        (status = 400, body = wire::ErrorBody),
        (status = 403, description = "Supervisors and administrators only.", body = wire::ErrorBody)))]
async fn report_csv(
    State(state): State<AppState>,
    _auth: SupervisorAuth,
    QueryParams(p): QueryParams<ReportParams>,
) -> Result<Response, ApiError> {
    let q = checked(&p)?;
    let lines = state.store.report(&q).await?;
    let report = assemble(&q, &lines);
    let file_name = format!(
        "threadline-report-{}-{}-{}.csv",
        q.group.as_str().replace('_', "-"),
        day_label((q.from + q.tz_offset_ms).div_euclid(DAY_MS)),
        day_label((q.to - 1 + q.tz_offset_ms).div_euclid(DAY_MS)),
    );
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .map_err(|_| ApiError::Internal("a report file name is not a header value".into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        to_csv(&report),
    )
        .into_response())
}

/// The parameters checked and read.
fn checked(p: &ReportParams) -> Result<ReportQuery, ApiError> {
    let group = ReportGroup::parse(&p.group_by).ok_or_else(|| {
        ApiError::invalid("group_by must be agent, day, channel, disposition or agent_day")
    })?;
    let minutes = p.tz_offset.unwrap_or(0);
    if minutes.abs() > MAX_TZ_OFFSET_MINUTES {
        return Err(ApiError::invalid(format!(
            "tz_offset must be between -{MAX_TZ_OFFSET_MINUTES} and {MAX_TZ_OFFSET_MINUTES} minutes"
        )));
    }
    let tz_offset_ms = i64::from(minutes) * 60_000;
    let from = instant("from", &p.from, tz_offset_ms)?;
    let to = instant("to", &p.to, tz_offset_ms)?;
    if from >= to {
        return Err(ApiError::invalid("from must be before to"));
    }
    if to - from > MAX_REPORT_DAYS * DAY_MS {
        return Err(ApiError::invalid(format!(
            "a report covers at most {MAX_REPORT_DAYS} days"
        )));
    }
    Ok(ReportQuery {
        from,
        to,
        tz_offset_ms,
        group,
    })
}

/// Earliest and latest instants accepted (years 1970 to 9999).
const INSTANTS: std::ops::RangeInclusive<i64> = 0..=253_402_300_799_999;

/// One end of the period: milliseconds, an RFC 3339 time, or a date at local midnight.
fn instant(field: &str, text: &str, tz_offset_ms: i64) -> Result<i64, ApiError> {
    let bad = || {
        ApiError::invalid(format!(
            "{field} must be milliseconds since 1970, an RFC 3339 time or a date (YYYY-MM-DD)"
        ))
    };
    if text.len() > 40 {
        return Err(bad());
    }
    super::check_chars(field, text, wire::checks::Lines::One)?;
    let ms = if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else if text.len() == 10 {
        parse_date(text).map(|days| days * DAY_MS - tz_offset_ms)
    } else {
        parse_rfc3339(text)
    };
    ms.filter(|ms| INSTANTS.contains(ms)).ok_or_else(bad)
}

/// `YYYY-MM-DD` as a day number.
fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i64 = digits(&s[0..4])?;
    let month: u32 = digits(&s[5..7])?;
    let day: u32 = digits(&s[8..10])?;
    let days = days_from_civil(year, month, day);
    // Rejects 2026-02-30 and the like: the day must name itself back.
    (day_label(days) == s).then_some(days)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` as milliseconds.
fn parse_rfc3339(s: &str) -> Option<i64> {
    let (date, rest) = (s.get(0..10)?, s.get(10..)?);
    let days = parse_date(date)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, zone) = rest.split_at(rest.find(['Z', 'z', '+', '-'])?);
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let hms = hms.as_bytes();
    if hms.len() != 8 || hms[2] != b':' || hms[5] != b':' {
        return None;
    }
    let hour: i64 = digits(&clock[0..2])?;
    let minute: i64 = digits(&clock[3..5])?;
    let second: i64 = digits(&clock[6..8])?;
    if hour > 23 || minute > 59 || second > 60 || fraction.len() > 9 {
        return None;
    }
    let millis: i64 = if fraction.is_empty() {
        0
    } else {
        digits::<i64>(&format!("{fraction:0<3}")[..3])?
    };
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let offset_ms = zone_offset_ms(zone)?;
    Some(days * DAY_MS + ((hour * 60 + minute) * 60 + second.min(59)) * 1000 + millis - offset_ms)
}

/// `Z` or `±HH:MM` as milliseconds east of UTC.
fn zone_offset_ms(zone: &str) -> Option<i64> {
    if zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let b = zone.as_bytes();
    if b.len() != 6 || b[3] != b':' {
        return None;
    }
    let hours: i64 = digits(&zone[1..3])?;
    let minutes: i64 = digits(&zone[4..6])?;
    (hours <= 23 && minutes <= 59).then_some(sign * (hours * 60 + minutes) * 60_000)
}

/// A run of ASCII digits as a number.
fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The answer: rows with their figures, and the totals of all of them.
fn assemble(q: &ReportQuery, lines: &[ReportLine]) -> Report {
    let mut totals = ReportSums::default();
    let rows = lines
        .iter()
        .map(|line| {
            totals.add(&line.sums);
            ReportRow {
                agent_id: line.key.agent.as_ref().map(|(_, id)| *id),
                agent_name: line.key.agent.as_ref().map(|(name, _)| name.clone()),
                day: line.key.day.map(day_label),
                channel: line.key.channel,
                disposition: line.key.disposition.clone(),
                figures: line.sums.figures(),
            }
        })
        .collect();
    Report {
        from: q.from,
        to: q.to,
        tz_offset: i32::try_from(q.tz_offset_ms / 60_000).unwrap_or(0),
        group_by: q.group,
        rows,
        totals: totals.figures(),
    }
}

/// The report as CSV: the grouping's key columns, then the figures; the last line is `Total`.
fn to_csv(report: &Report) -> String {
    let group = report.group_by;
    let mut header: Vec<&str> = Vec::new();
    if group.by_agent() {
        header.extend(["agent_id", "agent"]);
    }
    if group.by_day() {
        header.push("day");
    }
    match group {
        ReportGroup::Channel => header.push("channel"),
        ReportGroup::Disposition => header.push("disposition"),
        _ => {}
    }
    let keys = header.len();
    header.extend(FIGURE_COLUMNS);
    let mut out = String::new();
    push_line(&mut out, header.iter().map(|h| (*h).to_owned()));
    for row in &report.rows {
        let mut cells = Vec::with_capacity(header.len());
        if group.by_agent() {
            cells.push(row.agent_id.map(|a| a.0.to_string()).unwrap_or_default());
            cells.push(row.agent_name.clone().unwrap_or_default());
        }
        if group.by_day() {
            cells.push(row.day.clone().unwrap_or_default());
        }
        match group {
            ReportGroup::Channel => {
                cells.push(
                    row.channel
                        .map(|c| c.as_str().to_owned())
                        .unwrap_or_default(),
                );
            }
            ReportGroup::Disposition => {
                cells.push(row.disposition.clone().map(|d| d.0).unwrap_or_default());
            }
            _ => {}
        }
        cells.extend(figure_cells(&row.figures));
        push_line(&mut out, cells.into_iter());
    }
    let mut total = vec![String::new(); keys];
    if let Some(first) = total.first_mut() {
        "Total".clone_into(first);
    }
    total.extend(figure_cells(&report.totals));
    push_line(&mut out, total.into_iter());
    out
}

/// The figure columns, in the order of `wire::reports::ReportFigures`.
const FIGURE_COLUMNS: [&str; 9] = [
    "chats",
    "handle_time_ms",
    "avg_handle_time_ms",
    "responded",
    "avg_first_response_ms",
    "waited",
    "avg_wait_ms",
    "ended",
    "done",
];

/// A row's figures as cells (an empty cell for an average of nothing).
fn figure_cells(f: &wire::reports::ReportFigures) -> Vec<String> {
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    vec![
        f.chats.to_string(),
        f.handle_time_ms.to_string(),
        opt(f.avg_handle_time_ms),
        f.responded.to_string(),
        opt(f.avg_first_response_ms),
        f.waited.to_string(),
        opt(f.avg_wait_ms),
        f.ended.to_string(),
        f.done.to_string(),
    ]
}

/// Appends one CSV line (CRLF, RFC 4180) of escaped cells.
fn push_line(out: &mut String, cells: impl Iterator<Item = String>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(&cell));
    }
    out.push_str("\r\n");
}

/// One cell, safe to open in a spreadsheet: a cell starting with `=`, `+`, `-`, `@`, a tab or
/// a carriage return (a formula to spreadsheets) gets a leading `'`; a cell with a comma, a
/// quote or a line break is quoted, its quotes doubled. Numbers the report computes are never
/// negative, so no number is changed.
pub(crate) fn csv_cell(text: &str) -> String {
    let mut cell = String::with_capacity(text.len() + 3);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell.push('\'');
    }
    cell.push_str(text);
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_in_every_accepted_form() {
        assert_eq!(
            instant("from", "1764460800000", 0).ok(),
            Some(1_764_460_800_000)
        );
        assert_eq!(
            instant("from", "2025-11-30", 0).ok(),
            Some(1_764_460_800_000)
        );
        assert_eq!(
            instant("from", "2025-11-30", 60 * 60_000).ok(),
            Some(1_764_460_800_000 - 3_600_000)
        );
        assert_eq!(
            instant("from", "2025-11-30T01:00:00+01:00", 0).ok(),
            Some(1_764_460_800_000)
        );
        assert_eq!(
            instant("from", "2025-11-30T00:00:00.25Z", 0).ok(),
            Some(1_764_460_800_250)
        );
        for bad in [
            "",
            "2025-02-30",
            "2025-11-30T25:00:00Z",
            "2025-11-30T00:00:00",
            "yesterday",
            "-5",
            "2025-11-30T00:00:00+1:00",
            "99999999999999999999",
        ] {
            assert!(instant("from", bad, 0).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn cells_cannot_become_formulas() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("+cmd"), "'+cmd");
        assert_eq!(csv_cell("Ann, \"A\""), "\"Ann, \"\"A\"\"\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
