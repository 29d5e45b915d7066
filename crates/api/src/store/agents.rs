//! Agents: login, sessions, Chat channel status, presence, and stream tickets.

use super::rows::load_agent;
use super::StoreError;
use super::{Audience, Store};
use crate::util::now_ms;
use sqlx::Row;
use wire::{AgentId, AgentView, ChatStatus, ContactId, Event, EventId};

/// The condition that the session row `$s` is live: not revoked, not expired at the time bound
/// as `$now`. Logins, tickets, monitors, the board, logout and routing's "is the writer still
/// here" all count sessions by this one rule.
macro_rules! live_session {
    ($s:literal, $now:literal) => {
        concat!($s, ".revoked_at IS NULL AND ", $s, ".expires_at > ", $now)
    };
}
pub(super) use live_session;

/// The agent a session token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionAgent {
    /// The agent.
    pub agent_id: AgentId,
    /// When the session ends by itself (ms); its event streams end then too.
    pub expires_at: i64,
    /// What the account may do, read with every request so a change applies at once.
    pub role: wire::Role,
}

/// Whose stream a ticket opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketScope {
    /// An agent's stream.
    Agent(AgentId),
    /// A visitor's stream (their contact's conversation only).
    Visitor(ContactId),
    /// A supervisor's board stream (this account's session): every event agents or visitors see.
    Board(AgentId),
}

/// A redeemed stream ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    /// Whose stream it opens.
    pub scope: TicketScope,
    /// The log head when it was issued (where the stream starts without `Last-Event-ID`).
    pub head: EventId,
    /// The agent session it belongs to (the stored form of its token); none for a visitor.
    pub session: Option<String>,
}

impl Store {
    /// The id and password hash for a login name of an active account (a deactivated one
    /// cannot log in).
    pub async fn agent_credentials(
        &self,
        login: &str,
    ) -> Result<Option<(AgentId, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT id, password_hash FROM agents WHERE login = $1 AND deactivated_at IS NULL",
        )
        .bind(login)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| Ok((AgentId(r.try_get("id")?), r.try_get("password_hash")?)))
            .transpose()
    }

    /// Creates an account with a role (demo seeding; administrators use
    /// [`Store::create_account`], which audits).
    pub async fn create_agent(
        &self,
        login: &str,
        display_name: &str,
        password_hash: &str,
        capacity: u32,
        role: wire::Role,
    ) -> Result<AgentId, StoreError> {
        let mut tx = self.begin().await?;
        let id = insert_agent(&mut tx, login, display_name, password_hash, capacity, role).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stores a new session (by the token's hash).
    pub async fn create_session(
        &self,
        agent: AgentId,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO agent_sessions (token_hash, agent_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(agent.0)
            .bind(now_ms())
            .bind(expires_at)
            .execute(&mut tx.inner)
            .await?;
        tx.commit().await
    }

    /// The agent of a live (unexpired, unrevoked) session of an active account, with its role.
    pub async fn session_agent(
        &self,
        token_hash: &str,
    ) -> Result<Option<SessionAgent>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT s.agent_id, s.expires_at, a.role FROM agent_sessions s \
                 JOIN agents a ON a.id = s.agent_id \
                 WHERE s.token_hash = $1 AND a.deactivated_at IS NULL AND ",
            live_session!("s", "$2")
        ))
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&mut self.point_read())
        .await?;
        row.map(|r| {
            Ok(SessionAgent {
                agent_id: AgentId(r.try_get("agent_id")?),
                expires_at: r.try_get("expires_at")?,
                role: super::rows::stored_role(&r.try_get::<String, _>("role")?)?,
            })
        })
        .transpose()
    }

    /// Revokes one session, with its unredeemed stream tickets; its live streams close on every
    /// instance (an [`super::Internal`] row in the log). When it was the agent's last one, they
    /// go Not Ready (logged out), so no offer waits for someone who left.
    pub async fn revoke_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let now = now_ms();
        let agent: Option<i64> = sqlx::query(
            "UPDATE agent_sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING agent_id",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut tx.inner)
        .await?
        .map(|r| r.try_get("agent_id"))
        .transpose()?;
        if let Some(agent) = agent {
            end_streams(&mut tx, vec![token_hash.to_owned()]).await?;
            if live_sessions(&mut tx, AgentId(agent), now).await? == 0 {
                set_status_in(
                    &mut tx,
                    AgentId(agent),
                    &ChatStatus::NotReady {
                        reason: wire::ReasonCode::logged_out(),
                    },
                )
                .await?;
                release_reservations(&mut tx, AgentId(agent)).await?;
            }
        }
        tx.commit().await
    }

    /// Replaces an agent's password hash and revokes every other session (their tickets and
    /// live streams end too, as at logout).
    pub async fn set_password(
        &self,
        agent: AgentId,
        hash: &str,
        keep_token_hash: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE agents SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(agent.0)
            .execute(&mut tx.inner)
            .await?;
        revoke_sessions_in(&mut tx, agent, Some(keep_token_hash)).await?;
        tx.commit().await
    }

    /// The agent as the desktop sees themself.
    pub async fn agent(&self, id: AgentId) -> Result<Option<AgentView>, StoreError> {
        Ok(load_agent(self.pool(), id).await?)
    }

    /// Whether a `Not Ready` reason code exists and is not retired.
    pub async fn reason_exists(&self, code: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT code FROM not_ready_reasons WHERE code = $1 AND active = 1")
                .bind(code)
                .fetch_optional(self.pool())
                .await?
                .is_some(),
        )
    }

    /// Sets Ready / Not Ready. Going Not Ready stops new offers; chats in progress go on.
    pub async fn set_status(
        &self,
        id: AgentId,
        status: &ChatStatus,
    ) -> Result<AgentView, StoreError> {
        let mut tx = self.begin().await?;
        let view = set_status_in(&mut tx, id, status).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Marks agents as present (an event stream of theirs is open on this instance).
    pub async fn touch_agents(&self, ids: &[AgentId]) -> Result<(), StoreError> {
        let ids: Vec<i64> = ids.iter().map(|a| a.0).collect();
        self.touch("UPDATE agents SET last_seen_at", &ids).await
    }

    /// Marks visitors as present (their widget's event stream is open on this instance): on a
    /// channel without asynchronous chat, a visitor away too long has left (`departures`).
    pub async fn touch_visitors(&self, ids: &[ContactId]) -> Result<(), StoreError> {
        let ids: Vec<i64> = ids.iter().map(|c| c.0).collect();
        self.touch("UPDATE contacts SET visitor_seen_at", &ids)
            .await
    }

    /// A visitor's page is going away: their streams close on every instance
    /// ([`super::Internal::VisitorAway`]), and unless a page of theirs still open reconnects
    /// within `grace_ms`, they have left — `presence_ms` (the presence timeout) is not waited
    /// out again, since the page said so.
    pub async fn visitor_away(
        &self,
        contact: ContactId,
        presence_ms: i64,
        grace_ms: i64,
    ) -> Result<(), StoreError> {
        let seen = now_ms() - presence_ms + grace_ms;
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE contacts SET visitor_seen_at = $1 WHERE id = $2 AND visitor_seen_at > $1",
        )
        .bind(seen)
        .bind(contact.0)
        .execute(&mut tx.inner)
        .await?;
        tx.emit_internal(&super::Internal::VisitorAway { contact })?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a presence column (`update`: `UPDATE <table> SET <column>`) to now for `ids`: a few
    /// hundred rows to a write transaction of one statement. (One autocommit `UPDATE` per row
    /// cost a commit each, and on SQLite wrote beside the single writer, so a write
    /// transaction that had read first could fail with `SQLITE_BUSY`; one transaction for all
    /// of them held the single writer, and so every send, for tens of milliseconds.)
    async fn touch(&self, update: &'static str, ids: &[i64]) -> Result<(), StoreError> {
        const PER_TRANSACTION: usize = 200;
        let now = now_ms();
        // Rows are locked in id order, so that two instances touching at once never wait for
        // each other in a cycle (PostgreSQL).
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        for chunk in ids.chunks(PER_TRANSACTION) {
            let placeholders: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
            let sql = format!("{update} = $1 WHERE id IN ({})", placeholders.join(", "));
            let mut q = sqlx::query(&sql).persistent(false).bind(now);
            for id in chunk {
                q = q.bind(*id);
            }
            let mut tx = self.begin().await?;
            q.execute(&mut tx.inner).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Stores a stream ticket (by hash) for one scope, its stream to start after `head`; an
    /// agent's belongs to their session (`session_hash`), and ends with it.
    pub async fn create_ticket(
        &self,
        ticket_hash: &str,
        scope: TicketScope,
        session_hash: Option<&str>,
        head: EventId,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let (agent, contact, board) = match scope {
            TicketScope::Agent(a) => (Some(a.0), None, 0_i64),
            TicketScope::Visitor(c) => (None, Some(c.0), 0),
            TicketScope::Board(a) => (Some(a.0), None, 1),
        };
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM stream_tickets WHERE expires_at < $1")
            .bind(now_ms())
            .execute(&mut tx.inner)
            .await?;
        sqlx::query(
            "INSERT INTO stream_tickets (ticket_hash, agent_id, contact_id, head, expires_at, session_hash, board) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(ticket_hash)
        .bind(agent)
        .bind(contact)
        .bind(head.0)
        .bind(expires_at)
        .bind(session_hash)
        .bind(board)
        .execute(&mut tx.inner)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Uses up a ticket: what it opens, if it was valid, unused and unexpired and (an
    /// agent's) its session is still live.
    pub async fn redeem_ticket(&self, ticket_hash: &str) -> Result<Option<Redeemed>, StoreError> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            concat!(
                "UPDATE stream_tickets SET used_at = $1 WHERE ticket_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                 AND (agent_id IS NULL OR EXISTS (SELECT 1 FROM agent_sessions s \
                 WHERE s.token_hash = stream_tickets.session_hash AND ",
                live_session!("s", "$1"),
                ")) RETURNING agent_id, contact_id, head, session_hash, board"
            ),
        )
        .bind(now_ms())
        .bind(ticket_hash)
        .fetch_optional(&mut tx.inner)
        .await?;
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        let head = EventId(row.try_get("head")?);
        let scope = match (
            row.try_get::<Option<i64>, _>("agent_id")?,
            row.try_get::<Option<i64>, _>("contact_id")?,
        ) {
            (Some(a), _) if row.try_get::<i64, _>("board")? == 1 => TicketScope::Board(AgentId(a)),
            (Some(a), _) => TicketScope::Agent(AgentId(a)),
            (None, Some(c)) => TicketScope::Visitor(ContactId(c)),
            (None, None) => return Ok(None),
        };
        Ok(Some(Redeemed {
            scope,
            head,
            session: row.try_get("session_hash")?,
        }))
    }
}

/// Inserts an account (the one `INSERT INTO agents`).
pub(super) async fn insert_agent(
    tx: &mut super::Tx,
    login: &str,
    display_name: &str,
    password_hash: &str,
    capacity: u32,
    role: wire::Role,
) -> Result<AgentId, StoreError> {
    let id: i64 = sqlx::query(
        "INSERT INTO agents (login, display_name, password_hash, capacity, role, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(login)
    .bind(display_name)
    .bind(password_hash)
    .bind(i64::from(capacity))
    .bind(role.as_str())
    .bind(now_ms())
    .fetch_one(&mut tx.inner)
    .await?
    .try_get("id")?;
    Ok(AgentId(id))
}

/// Revokes every session of an agent but `keep` (the one making a password change), with their
/// tickets and live streams on every instance. How many sessions were revoked.
pub(super) async fn revoke_sessions_in(
    tx: &mut super::Tx,
    agent: AgentId,
    keep: Option<&str>,
) -> Result<usize, StoreError> {
    let ended = sqlx::query(
        "UPDATE agent_sessions SET revoked_at = $1 WHERE agent_id = $2 AND token_hash <> $3 AND revoked_at IS NULL \
         RETURNING token_hash",
    )
    .bind(now_ms())
    .bind(agent.0)
    .bind(keep.unwrap_or(""))
    .fetch_all(&mut tx.inner)
    .await?
    .iter()
    .map(|r| r.try_get("token_hash"))
    .collect::<Result<Vec<String>, _>>()?;
    let count = ended.len();
    end_streams(tx, ended).await?;
    Ok(count)
}

/// How many sessions of `agent` are live at `now` (neither revoked nor expired): none, and
/// they are logged out.
pub(super) async fn live_sessions(
    tx: &mut super::Tx,
    agent: AgentId,
    now: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query(concat!(
        "SELECT COUNT(*) AS n FROM agent_sessions s WHERE s.agent_id = $1 AND ",
        live_session!("s", "$2")
    ))
    .bind(agent.0)
    .bind(now)
    .fetch_one(&mut tx.inner)
    .await?
    .try_get("n")?)
}

/// Logs an agent out everywhere (a supervisor's `Log out`, a deactivation, a password reset):
/// every session revoked as [`revoke_sessions_in`] does, Not Ready (logged out), and chats kept
/// for them back to routing. How many sessions ended.
pub(super) async fn log_out_everywhere_in(
    tx: &mut super::Tx,
    agent: AgentId,
) -> Result<usize, StoreError> {
    let ended = revoke_sessions_in(tx, agent, None).await?;
    set_status_in(
        tx,
        agent,
        &ChatStatus::NotReady {
            reason: wire::ReasonCode::logged_out(),
        },
    )
    .await?;
    release_reservations(tx, agent).await?;
    Ok(ended)
}

/// Ends sessions' unredeemed stream tickets and (through the log, on every instance) their
/// live streams, in the transaction that revokes them.
pub(super) async fn end_streams(
    tx: &mut super::Tx,
    sessions: Vec<String>,
) -> Result<(), StoreError> {
    if sessions.is_empty() {
        return Ok(());
    }
    super::monitors::end_for_sessions(tx, &sessions).await?;
    for session in &sessions {
        sqlx::query("DELETE FROM stream_tickets WHERE session_hash = $1 AND used_at IS NULL")
            .bind(session)
            .execute(&mut tx.inner)
            .await?;
    }
    tx.emit_internal(&super::Internal::SessionsEnded { sessions })
}

/// Sets the status inside a transaction and emits the agent's `status` event.
pub(super) async fn set_status_in(
    tx: &mut super::Tx,
    id: AgentId,
    status: &ChatStatus,
) -> Result<AgentView, StoreError> {
    let now = now_ms();
    match status {
        ChatStatus::Ready => {
            sqlx::query(
                "UPDATE agents SET status_since = CASE WHEN ready = 1 THEN status_since ELSE $1 END, \
                 ready = 1, last_ready_at = CASE WHEN ready = 1 THEN last_ready_at ELSE $1 END, \
                 last_routed_at = COALESCE(last_routed_at, $1) WHERE id = $2",
            )
            .bind(now)
            .bind(id.0)
            .execute(&mut tx.inner)
            .await?;
        }
        ChatStatus::NotReady { reason } => {
            sqlx::query(
                "UPDATE agents SET status_since = CASE WHEN ready = 0 AND not_ready_reason = $1 \
                 THEN status_since ELSE $3 END, ready = 0, not_ready_reason = $1 WHERE id = $2",
            )
            .bind(&reason.0)
            .bind(id.0)
            .bind(now)
            .execute(&mut tx.inner)
            .await?;
        }
    }
    emit_status(tx, id).await
}

/// Emits the agent's current `status` event (after a change to status or load).
pub(super) async fn emit_status(tx: &mut super::Tx, id: AgentId) -> Result<AgentView, StoreError> {
    let view = load_agent(&mut tx.inner, id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    tx.emit(
        Audience::agent(id),
        &Event::Status {
            agent: view.clone(),
        },
    )?;
    Ok(view)
}

/// Gives chats reserved for an agent (the contact answered them) back to routing.
pub(super) async fn release_reservations(
    tx: &mut super::Tx,
    id: AgentId,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE interactions SET reserved_for = NULL, reserved_until = NULL WHERE reserved_for = $1 AND state = 'queued'")
        .bind(id.0)
        .execute(&mut tx.inner)
        .await?;
    Ok(())
}
