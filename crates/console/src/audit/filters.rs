//! The audit log's filters as the form holds them, the query they make, and how a row's time,
//! action and before/after read (the actions and their words are `wire::accounts::AuditAction`).

use wire::accounts::AuditAction;
use wire::Millis;

/// What the form holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// An account id, or empty for anyone.
    pub actor: String,
    /// An action, or empty.
    pub action: String,
    /// A kind of thing, or empty.
    pub target_kind: String,
    /// The first day, `YYYY-MM-DD`, or empty.
    pub from: String,
    /// The last day (included), or empty.
    pub to: String,
}

impl Filters {
    /// The query parameters (not yet encoded), or what is wrong with a date.
    pub fn query(&self) -> Result<Vec<(&'static str, String)>, String> {
        let mut q = Vec::new();
        for (name, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("target_kind", &self.target_kind),
        ] {
            let value = value.trim();
            if !value.is_empty() {
                q.push((name, value.to_owned()));
            }
        }
        if !self.from.is_empty() {
            q.push(("from", day_start(&self.from, 0)?.to_string()));
        }
        if !self.to.is_empty() {
            // The last day is included: the server's `to` is excluded, so it is the next midnight.
            q.push(("to", day_start(&self.to, 1)?.to_string()));
        }
        Ok(q)
    }
}

/// `YYYY-MM-DD` as its fields, or `None`.
pub fn parse_day(day: &str) -> Option<(u32, i32, i32)> {
    let mut parts = day.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// The browser's local midnight `plus` days after `day`, in ms since the epoch.
#[allow(clippy::cast_possible_truncation)] // whole milliseconds fit an i64
fn day_start(day: &str, plus: i32) -> Result<Millis, String> {
    let (y, m, d) = parse_day(day).ok_or_else(|| format!("{day} is not a date."))?;
    let date = js_sys::Date::new_with_year_month_day(y, m - 1, d + plus);
    Ok(date.get_time() as Millis)
}

/// A time as the browser's local `YYYY-MM-DD HH:MM:SS`.
#[allow(clippy::cast_precision_loss)] // ms since the epoch are exact in an f64 for ages
pub fn when(at: Millis) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at as f64));
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

/// An action in words (the code itself shows beside it).
pub fn action_label(action: &str) -> &'static str {
    AuditAction::from_code(action).map_or("Change", AuditAction::label)
}

/// A before/after value in one line: `key: value, …` for an object, JSON otherwise.
pub fn compact(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{compact, parse_day, Filters};
    use serde_json::json;

    #[test]
    fn filters_without_dates_make_a_query() {
        let f = Filters {
            action: " agent.create ".to_owned(),
            ..Filters::default()
        };
        assert_eq!(f.query(), Ok(vec![("action", "agent.create".to_owned())]));
        assert_eq!(parse_day("2026-11-30"), Some((2026, 11, 30)));
        assert_eq!(parse_day("2026-13-01"), None);
        assert_eq!(parse_day("soon"), None);
    }

    #[test]
    fn values_read_in_one_line() {
        assert_eq!(
            compact(&json!({"login": "nina", "capacity": 3})),
            "capacity: 3, login: nina"
        );
        assert_eq!(compact(&json!(5)), "5");
    }
}
