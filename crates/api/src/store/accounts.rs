//! Account administration: creating, changing, deactivating and reactivating accounts,
//! resetting passwords, importing standard responses, and reading the audit log. Every change
//! writes its audit row ([`Tx::audit`]) in the transaction that makes it. The command line and
//! the administration API both call these.

use super::agents::log_out_everywhere_in;
use super::interaction_steps::requeue_agent_work;
use super::rows::agent;
use super::sql::{Arg, SqlBuilder};
use super::{AuditEntry, Store, StoreError, Tx};
use crate::util::now_ms;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;
use wire::accounts::AuditAction;
use wire::accounts::{AccountChange, AccountView, AuditPage, AuditRecord};
use wire::{AgentId, Role};

/// The columns of an account, with its load (the rows mapper is [`account`]).
fn account_select(filter: &str) -> String {
    format!(
        "SELECT a.id, a.login, a.display_name, a.capacity, a.role, a.ready, a.not_ready_reason, \
         a.deactivated_at, (SELECT COUNT(*) FROM interactions i WHERE i.agent_id = a.id \
            AND i.state IN ({})) AS open_count \
         FROM agents a {filter}",
        super::transitions::holding_capacity_sql()
    )
}

fn account(row: &AnyRow) -> Result<AccountView, sqlx::Error> {
    Ok(AccountView {
        agent: agent(row)?,
        active: row.try_get::<Option<i64>, _>("deactivated_at")?.is_none(),
    })
}

/// What the audit log keeps of an account (never its password hash, nor its live status).
fn audited(a: &AccountView) -> serde_json::Value {
    json!({
        "login": a.agent.login,
        "display_name": a.agent.display_name,
        "role": a.agent.role,
        "capacity": a.agent.capacity,
        "active": a.active,
    })
}

/// Who changes what to which account (one audit row).
struct Change<'a> {
    actor: Option<AgentId>,
    action: AuditAction,
    before: Option<&'a AccountView>,
    after: Option<&'a AccountView>,
}

async fn audit_account(tx: &mut Tx, id: AgentId, change: Change<'_>) -> Result<(), StoreError> {
    tx.audit(AuditEntry {
        actor: change.actor,
        action: change.action,
        target_id: id.0.to_string(),
        before: change.before.map(audited),
        after: change.after.map(audited),
    })
    .await
}

/// Reads an account inside a transaction, locking its row until commit.
async fn lock_account(tx: &mut Tx, id: AgentId) -> Result<AccountView, StoreError> {
    let sql = format!(
        "{}{}",
        account_select("WHERE a.id = $1"),
        tx.dialect()
            .for_update()
            .replace("FOR UPDATE", "FOR UPDATE OF a")
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut tx.inner)
        .await?
        .ok_or(StoreError::not_found("account"))?;
    Ok(account(&row)?)
}

/// Refuses to take the administrator role from the last active administrator (by deactivation
/// or demotion): nobody could administer the server any more.
async fn keep_an_administrator(tx: &mut Tx, leaving: &AccountView) -> Result<(), StoreError> {
    if leaving.agent.role != Role::Administrator || !leaving.active {
        return Ok(());
    }
    // Lock every active administrator, so two administrators removing each other at once on
    // PostgreSQL cannot both pass the count.
    let sql = format!(
        "SELECT a.id FROM agents a WHERE a.role = 'administrator' AND a.deactivated_at IS NULL ORDER BY a.id{}",
        tx.dialect().for_update()
    );
    let others = sqlx::query(&sql)
        .fetch_all(&mut tx.inner)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|id| *id != leaving.agent.id.0)
        .count();
    if others == 0 {
        return Err(StoreError::conflict(
            "this is the last active administrator; make another administrator first",
        ));
    }
    Ok(())
}

/// Filters for the audit log; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Changes made by this account.
    pub actor: Option<AgentId>,
    /// Changes of this action (`agent.create`, ...).
    pub action: Option<String>,
    /// Changes of this kind of thing.
    pub target_kind: Option<String>,
    /// Changes of this thing.
    pub target_id: Option<String>,
    /// At or after (ms).
    pub from: Option<i64>,
    /// Before (ms).
    pub to: Option<i64>,
    /// Rows with an id below this (the previous page's `next_before`).
    pub before: Option<i64>,
    /// Page size.
    pub limit: u32,
}

/// A standard response to import, under a category found or made by name.
#[derive(Debug, Clone)]
pub struct ImportedResponse<'a> {
    /// The category's name (top level; made when missing).
    pub category: &'a str,
    /// The title agents pick it by.
    pub title: &'a str,
    /// The text, with field codes.
    pub body: &'a str,
}

impl Store {
    /// Every account, by login.
    pub async fn accounts(&self) -> Result<Vec<AccountView>, StoreError> {
        let rows = sqlx::query(&account_select("ORDER BY a.login"))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(account).collect::<Result<_, _>>()?)
    }

    /// One account by id.
    pub async fn account(&self, id: AgentId) -> Result<Option<AccountView>, StoreError> {
        let row = sqlx::query(&account_select("WHERE a.id = $1"))
            .bind(id.0)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(account).transpose()?)
    }

    /// One account by login name.
    pub async fn account_by_login(&self, login: &str) -> Result<Option<AccountView>, StoreError> {
        let row = sqlx::query(&account_select("WHERE a.login = $1"))
            .bind(login)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(account).transpose()?)
    }

    /// Whether any account exists, and whether an active administrator does.
    pub async fn setup_state(&self) -> Result<(bool, bool), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, \
             SUM(CASE WHEN role = 'administrator' AND deactivated_at IS NULL THEN 1 ELSE 0 END) AS admins \
             FROM agents",
        )
        .fetch_one(self.pool())
        .await?;
        let n: i64 = row.try_get("n")?;
        let admins: Option<i64> = row.try_get("admins")?;
        Ok((n > 0, admins.unwrap_or(0) > 0))
    }

    /// Creates an account (audited as `agent.create`). A login already taken is a conflict.
    pub async fn create_account(
        &self,
        actor: Option<AgentId>,
        new: &wire::accounts::NewAccount,
        password_hash: &str,
    ) -> Result<AccountView, StoreError> {
        let mut tx = self.begin().await?;
        let taken = sqlx::query("SELECT id FROM agents WHERE login = $1")
            .bind(&new.login)
            .fetch_optional(&mut tx.inner)
            .await?
            .is_some();
        if taken {
            return Err(StoreError::conflict(format!(
                "an account with the login {} already exists",
                new.login
            )));
        }
        let id = super::agents::insert_agent(
            &mut tx,
            &new.login,
            &new.display_name,
            password_hash,
            new.capacity,
            new.role,
        )
        .await?;
        let after = lock_account(&mut tx, id).await?;
        audit_account(
            &mut tx,
            id,
            Change {
                actor,
                action: AuditAction::AgentCreate,
                before: None,
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Changes an account's display name, capacity or role (audited as `agent.update`). The
    /// account sees the change at once (its `status` event).
    pub async fn change_account(
        &self,
        actor: Option<AgentId>,
        id: AgentId,
        change: &AccountChange,
    ) -> Result<AccountView, StoreError> {
        let mut tx = self.begin().await?;
        let before = lock_account(&mut tx, id).await?;
        if change.role.is_some_and(|r| r != Role::Administrator) {
            keep_an_administrator(&mut tx, &before).await?;
        }
        let mut b = SqlBuilder::default();
        b.push("UPDATE agents SET id = id");
        if let Some(name) = &change.display_name {
            let p = b.arg(Arg::Text(name.clone()));
            b.push(&format!(", display_name = {p}"));
        }
        if let Some(capacity) = change.capacity {
            let p = b.arg(Arg::Int(i64::from(capacity)));
            b.push(&format!(", capacity = {p}"));
        }
        if let Some(role) = change.role {
            let p = b.arg(Arg::Text(role.as_str().to_owned()));
            b.push(&format!(", role = {p}"));
        }
        let p = b.arg(Arg::Int(id.0));
        b.push(&format!(" WHERE id = {p}"));
        b.execute(&mut tx).await?;
        let after = lock_account(&mut tx, id).await?;
        audit_account(
            &mut tx,
            id,
            Change {
                actor,
                action: AuditAction::AgentUpdate,
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        super::agents::emit_status(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deactivates an account (audited as `agent.deactivate`): it can no longer log in, every
    /// session ends on every instance (as at a password change), it goes Not Ready, and its
    /// offered, active and ended-not-Done chats go back to the queue. Its Done chats stay in
    /// its name, as history.
    pub async fn deactivate_account(
        &self,
        actor: Option<AgentId>,
        id: AgentId,
    ) -> Result<AccountView, StoreError> {
        let mut tx = self.begin().await?;
        let before = lock_account(&mut tx, id).await?;
        if !before.active {
            return Err(StoreError::conflict("the account is already deactivated"));
        }
        keep_an_administrator(&mut tx, &before).await?;
        sqlx::query("UPDATE agents SET deactivated_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id.0)
            .execute(&mut tx.inner)
            .await?;
        log_out_everywhere_in(&mut tx, id).await?;
        requeue_agent_work(&mut tx, id).await?;
        let after = lock_account(&mut tx, id).await?;
        audit_account(
            &mut tx,
            id,
            Change {
                actor,
                action: AuditAction::AgentDeactivate,
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Lets a deactivated account log in again (audited as `agent.reactivate`); it starts Not
    /// Ready.
    pub async fn reactivate_account(
        &self,
        actor: Option<AgentId>,
        id: AgentId,
    ) -> Result<AccountView, StoreError> {
        let mut tx = self.begin().await?;
        let before = lock_account(&mut tx, id).await?;
        if before.active {
            return Err(StoreError::conflict("the account is already active"));
        }
        sqlx::query("UPDATE agents SET deactivated_at = NULL WHERE id = $1")
            .bind(id.0)
            .execute(&mut tx.inner)
            .await?;
        let after = lock_account(&mut tx, id).await?;
        audit_account(
            &mut tx,
            id,
            Change {
                actor,
                action: AuditAction::AgentReactivate,
                before: Some(&before),
                after: Some(&after),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets a new password chosen by an administrator (audited as `agent.reset_password`,
    /// without the password): every session of the account ends, as at a password change.
    pub async fn reset_password(
        &self,
        actor: Option<AgentId>,
        id: AgentId,
        password_hash: &str,
    ) -> Result<AccountView, StoreError> {
        let mut tx = self.begin().await?;
        let before = lock_account(&mut tx, id).await?;
        sqlx::query("UPDATE agents SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.0)
            .execute(&mut tx.inner)
            .await?;
        log_out_everywhere_in(&mut tx, id).await?;
        audit_account(
            &mut tx,
            id,
            Change {
                actor,
                action: AuditAction::AgentResetPassword,
                before: Some(&before),
                after: Some(&before),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(before)
    }

    /// Adds a standard response under a top-level category found (or made) by name (audited
    /// as `standard_response.create`).
    pub async fn import_response(
        &self,
        actor: Option<AgentId>,
        r: &ImportedResponse<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let found = sqlx::query(
            "SELECT id FROM response_categories WHERE name = $1 AND parent_id IS NULL ORDER BY id LIMIT 1",
        )
        .bind(r.category)
        .fetch_optional(&mut tx.inner)
        .await?;
        let category: i64 = match found {
            Some(row) => row.try_get("id")?,
            None => sqlx::query(
                "INSERT INTO response_categories (parent_id, name) VALUES (NULL, $1) RETURNING id",
            )
            .bind(r.category)
            .fetch_one(&mut tx.inner)
            .await?
            .try_get("id")?,
        };
        let id: i64 = sqlx::query(
            "INSERT INTO standard_responses (category_id, title, body) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(category)
        .bind(r.title)
        .bind(r.body)
        .fetch_one(&mut tx.inner)
        .await?
        .try_get("id")?;
        tx.audit(AuditEntry {
            actor,
            action: AuditAction::ResponseCreate,
            target_id: id.to_string(),
            before: None,
            after: Some(json!({"category": r.category, "title": r.title, "body": r.body})),
        })
        .await?;
        tx.commit().await
    }

    /// A page of the audit log, newest first, filtered.
    pub async fn audit_page(&self, q: &AuditQuery) -> Result<AuditPage, StoreError> {
        let mut b = SqlBuilder::default();
        b.push(
            "SELECT l.id, l.at, l.actor_id, a.login AS actor_login, l.action, l.target_kind, \
             l.target_id, l.before_json, l.after_json FROM audit_log l \
             LEFT JOIN agents a ON a.id = l.actor_id WHERE 1 = 1",
        );
        let cond = |b: &mut SqlBuilder, sql: &str, arg: Arg| {
            let p = b.arg(arg);
            b.push(&format!(" AND {sql} {p}"));
        };
        if let Some(actor) = q.actor {
            cond(&mut b, "l.actor_id =", Arg::Int(actor.0));
        }
        for (column, value) in [
            ("l.action =", &q.action),
            ("l.target_kind =", &q.target_kind),
            ("l.target_id =", &q.target_id),
        ] {
            if let Some(v) = value {
                cond(&mut b, column, Arg::Text(v.clone()));
            }
        }
        if let Some(from) = q.from {
            cond(&mut b, "l.at >=", Arg::Int(from));
        }
        if let Some(to) = q.to {
            cond(&mut b, "l.at <", Arg::Int(to));
        }
        if let Some(before) = q.before {
            cond(&mut b, "l.id <", Arg::Int(before));
        }
        let limit = b.arg(Arg::Int(i64::from(q.limit) + 1));
        b.push(&format!(" ORDER BY l.id DESC LIMIT {limit}"));
        let rows = b.fetch_all(self.pool()).await?;
        let mut entries = rows
            .iter()
            .map(audit_record)
            .collect::<Result<Vec<_>, _>>()?;
        let more = entries.len() > q.limit as usize;
        entries.truncate(q.limit as usize);
        let next_before = if more {
            entries.last().map(|e| e.id)
        } else {
            None
        };
        Ok(AuditPage {
            entries,
            next_before,
        })
    }
}

fn audit_record(row: &AnyRow) -> Result<AuditRecord, sqlx::Error> {
    let json = |col: &str| -> Result<Option<serde_json::Value>, sqlx::Error> {
        Ok(row
            .try_get::<Option<String>, _>(col)?
            .and_then(|s| serde_json::from_str(&s).ok()))
    };
    Ok(AuditRecord {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get::<Option<i64>, _>("actor_id")?.map(AgentId),
        actor_login: row.try_get("actor_login")?,
        action: row.try_get("action")?,
        target_kind: row.try_get("target_kind")?,
        target_id: row.try_get("target_id")?,
        before: json("before_json")?,
        after: json("after_json")?,
    })
}
