//! Single sign-on from a portal: the login tokens a portal's back end asks for, and their
//! exchange for an agent session. Only a token's hash is stored; the exchange marks it used in
//! the transaction that makes the session, under a row lock and with a guarded update, so of
//! two concurrent exchanges exactly one wins. Both steps are in the audit log.

use super::{AuditEntry, Store, StoreError};
use crate::util::now_ms;
use serde_json::json;
use sqlx::Row;
use wire::accounts::AuditAction;
use wire::AgentId;

/// How long used and expired tokens stay (so a second attempt hears why it failed) before a
/// new issue deletes them.
const KEEP_SPENT_MS: i64 = 3_600_000;

/// Why a login token was not issued for a login name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedIssueRefusal {
    /// No account has this login.
    UnknownLogin,
    /// The account is deactivated.
    Deactivated,
}

/// Why a login token was not exchanged for a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedLoginRefusal {
    /// No such token (never issued, or long gone).
    Unknown,
    /// It was exchanged already.
    Used,
    /// Its minute is over.
    Expired,
    /// It was issued for another portal than the one whose origin presents it.
    OtherPortal,
    /// The account was deactivated after the token was issued.
    Deactivated,
}

/// A login token to store, as the route made it.
#[derive(Debug, Clone, Copy)]
pub struct NewEmbedToken<'a> {
    /// The portal that asks (its configured name).
    pub portal: &'a str,
    /// The login name of the agent to log in.
    pub login: &'a str,
    /// The stored form of the token.
    pub token_hash: &'a str,
    /// When it can no longer be exchanged (ms).
    pub expires_at: i64,
}

/// A session to make from a login token, as the route made it.
#[derive(Debug, Clone, Copy)]
pub struct EmbedExchange<'a> {
    /// The stored form of the login token presented.
    pub token_hash: &'a str,
    /// The names of the portals whose origin is the one the desktop saw the token come from.
    pub portals: &'a [String],
    /// The stored form of the new session's token.
    pub session_hash: &'a str,
    /// When the new session ends (ms).
    pub session_expires_at: i64,
}

impl Store {
    /// Stores a login token for the active account `login`, asked for by a portal, and audits
    /// it (`embed.login_token`, no actor, the account as target).
    ///
    /// # Errors
    /// The database failed.
    pub async fn issue_embed_token(
        &self,
        new: NewEmbedToken<'_>,
    ) -> Result<Result<AgentId, EmbedIssueRefusal>, StoreError> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        let Some(row) = sqlx::query("SELECT id, deactivated_at FROM agents WHERE login = $1")
            .bind(new.login)
            .fetch_optional(&mut tx.inner)
            .await?
        else {
            return Ok(Err(EmbedIssueRefusal::UnknownLogin));
        };
        let agent = AgentId(row.try_get("id")?);
        if row.try_get::<Option<i64>, _>("deactivated_at")?.is_some() {
            return Ok(Err(EmbedIssueRefusal::Deactivated));
        }
        sqlx::query("DELETE FROM embed_tokens WHERE expires_at < $1")
            .bind(now - KEEP_SPENT_MS)
            .execute(&mut tx.inner)
            .await?;
        sqlx::query(
            "INSERT INTO embed_tokens (token_hash, portal, agent_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new.token_hash)
        .bind(new.portal)
        .bind(agent.0)
        .bind(now)
        .bind(new.expires_at)
        .execute(&mut tx.inner)
        .await?;
        tx.audit(AuditEntry {
            actor: None,
            action: AuditAction::EmbedLoginToken,
            target_id: agent.0.to_string(),
            before: None,
            after: Some(json!({"portal": new.portal, "expires_at": new.expires_at})),
        })
        .await?;
        tx.commit().await?;
        Ok(Ok(agent))
    }

    /// Exchanges a login token for a session: checks it (known, unused, unexpired, issued for
    /// one of `portals`, its account still active), marks it used and stores the session, all
    /// in one transaction, audited (`auth.embed_login`, the agent as actor and target). A
    /// refused token is left as it was.
    ///
    /// # Errors
    /// The database failed.
    pub async fn redeem_embed_token(
        &self,
        exchange: EmbedExchange<'_>,
    ) -> Result<Result<AgentId, EmbedLoginRefusal>, StoreError> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        let sql = format!(
            "SELECT t.portal, t.agent_id, t.expires_at, t.used_at, a.deactivated_at \
             FROM embed_tokens t JOIN agents a ON a.id = t.agent_id \
             WHERE t.token_hash = $1{}",
            tx.dialect()
                .for_update()
                .replace("FOR UPDATE", "FOR UPDATE OF t")
        );
        let Some(row) = sqlx::query(&sql)
            .bind(exchange.token_hash)
            .fetch_optional(&mut tx.inner)
            .await?
        else {
            return Ok(Err(EmbedLoginRefusal::Unknown));
        };
        let portal: String = row.try_get("portal")?;
        let agent = AgentId(row.try_get("agent_id")?);
        let refusal = if row.try_get::<Option<i64>, _>("used_at")?.is_some() {
            Some(EmbedLoginRefusal::Used)
        } else if row.try_get::<i64, _>("expires_at")? <= now {
            Some(EmbedLoginRefusal::Expired)
        } else if !exchange.portals.contains(&portal) {
            Some(EmbedLoginRefusal::OtherPortal)
        } else if row.try_get::<Option<i64>, _>("deactivated_at")?.is_some() {
            Some(EmbedLoginRefusal::Deactivated)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            return Ok(Err(refusal));
        }
        let claimed = sqlx::query(
            "UPDATE embed_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(exchange.token_hash)
        .execute(&mut tx.inner)
        .await?
        .rows_affected();
        if claimed != 1 {
            return Ok(Err(EmbedLoginRefusal::Used));
        }
        sqlx::query(
            "INSERT INTO agent_sessions (token_hash, agent_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(exchange.session_hash)
        .bind(agent.0)
        .bind(now)
        .bind(exchange.session_expires_at)
        .execute(&mut tx.inner)
        .await?;
        tx.audit(AuditEntry {
            actor: Some(agent),
            action: AuditAction::EmbedLogin,
            target_id: agent.0.to_string(),
            before: None,
            after: Some(json!({"portal": portal})),
        })
        .await?;
        tx.commit().await?;
        Ok(Ok(agent))
    }
}
