//! A small builder for statements whose conditions depend on the request: every value is a
//! numbered, bound parameter (`$1`, `$2`, …, valid on both backends), never spliced text.

use sqlx::any::AnyRow;
use sqlx::AnyPool;

/// The `VALUES` list of a multi-row `INSERT`: `rows` groups of placeholders, row `i` holding
/// `$(i * width + k)` for each `k` of `pattern` (1-based, within the row's `width` bound
/// values; a `k` may repeat to use one value twice).
pub fn values_rows(rows: usize, width: usize, pattern: &[usize]) -> String {
    let mut out = String::new();
    for i in 0..rows {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for (j, k) in pattern.iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(i * width + k).to_string());
        }
        out.push(')');
    }
    out
}

/// A bound value.
#[derive(Debug, Clone)]
pub enum Arg {
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// SQL `NULL` (clears a column).
    Null,
}

/// SQL text plus its bound values, in placeholder order.
#[derive(Debug, Default)]
pub struct SqlBuilder {
    /// The statement so far.
    sql: String,
    /// The values for `$1..$n`.
    args: Vec<Arg>,
    /// Plan the statement for its values on every run (see [`SqlBuilder::plan_every_run`]).
    plan_every_run: bool,
}

impl SqlBuilder {
    /// Appends SQL text (never a value).
    pub fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    /// Binds a value; returns its placeholder (`$n`) to put into the text.
    pub fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// The number the next bound value will get.
    pub fn next_index(&self) -> usize {
        self.args.len() + 1
    }

    /// Runs the statement unprepared, so the database plans it for the values bound this time.
    /// For statements whose best plan depends on the values, such as full-text search (a rare
    /// word wants the index, a common one a scan newest first that stops at the page size):
    /// PostgreSQL switches a prepared statement to one generic plan, blind to the values, after
    /// five runs, and that plan can scan the whole table for a rare word.
    pub fn plan_every_run(&mut self) {
        self.plan_every_run = true;
    }

    /// Runs the statement in a write transaction.
    pub async fn execute(self, tx: &mut super::Tx) -> Result<u64, sqlx::Error> {
        let mut q = sqlx::query(&self.sql);
        for a in self.args {
            q = match a {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Null => q.bind(None::<i64>),
            };
        }
        Ok(q.execute(&mut tx.inner).await?.rows_affected())
    }

    /// Runs the statement and returns its rows.
    pub async fn fetch_all(self, pool: &AnyPool) -> Result<Vec<AnyRow>, sqlx::Error> {
        let mut q = sqlx::query(&self.sql).persistent(!self.plan_every_run);
        for a in self.args {
            q = match a {
                Arg::Int(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Null => q.bind(None::<i64>),
            };
        }
        q.fetch_all(pool).await
    }
}

#[cfg(test)]
mod tests {
    use super::values_rows;

    #[test]
    fn values_rows_number_each_row_after_the_last() {
        assert_eq!(values_rows(2, 3, &[1, 2, 3]), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_rows(2, 2, &[1, 2, 2]), "($1, $2, $2), ($3, $4, $4)");
        assert_eq!(values_rows(0, 3, &[1, 2, 3]), "");
    }
}
