//! Contacts: details, identities, visitor tokens and the Contacts list.

use super::rows::{identity_parts, interaction, load_contact, INTERACTION_SELECT};
use super::sql::{Arg, SqlBuilder};
use super::StoreError;
use super::{Audience, Store};
use crate::util::now_ms;
use sqlx::Row;
use wire::api::ContactPatch;
use wire::{
    AgentId, Channel, ContactId, ContactSummary, ContactView, Event, Identity, InteractionView,
};

/// A request for one page of the Contacts list.
#[derive(Debug, Clone, Default)]
pub struct ContactListQuery {
    /// Words to find in the name, email or any message.
    pub search: Option<String>,
    /// Only contacts with public (`true`) or private (`false`) conversations.
    pub public: Option<bool>,
    /// Continue after this (activity time, id).
    pub after: Option<(i64, i64)>,
    /// Page size.
    pub limit: u32,
}

impl Store {
    /// A contact with identities.
    pub async fn contact(&self, id: ContactId) -> Result<Option<ContactView>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        Ok(load_contact(&mut *conn, id).await?)
    }

    /// Changes a contact's details and tells every agent.
    pub async fn patch_contact(
        &self,
        id: ContactId,
        patch: &ContactPatch,
    ) -> Result<Option<ContactView>, StoreError> {
        let mut tx = self.begin().await?;
        let found = sqlx::query("SELECT id FROM contacts WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut tx.inner)
            .await?;
        if found.is_none() {
            return Ok(None);
        }
        let empty_to_null = |v: &Option<String>| {
            v.as_ref().map(|s| {
                if s.trim().is_empty() {
                    None
                } else {
                    Some(s.trim().to_owned())
                }
            })
        };
        sqlx::query(
            "UPDATE contacts SET first_name = COALESCE($1, first_name), last_name = COALESCE($2, last_name), \
             email = CASE WHEN $3 = 1 THEN $4 ELSE email END, phone = CASE WHEN $5 = 1 THEN $6 ELSE phone END, \
             notes = COALESCE($7, notes) WHERE id = $8",
        )
        .bind(patch.first_name.as_ref().map(|s| s.trim().to_owned()))
        .bind(patch.last_name.as_ref().map(|s| s.trim().to_owned()))
        .bind(i64::from(patch.email.is_some()))
        .bind(empty_to_null(&patch.email).flatten())
        .bind(i64::from(patch.phone.is_some()))
        .bind(empty_to_null(&patch.phone).flatten())
        .bind(patch.notes.clone())
        .bind(id.0)
        .execute(&mut tx.inner)
        .await?;
        let view = load_contact(&mut tx.inner, id)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        tx.emit(
            Audience::all_agents(),
            &Event::ContactUpdated {
                contact: view.clone(),
            },
        )?;
        tx.commit().await?;
        Ok(Some(view))
    }

    /// Creates a contact (seeding, visitors, channels).
    pub async fn create_contact(
        &self,
        first: &str,
        last: &str,
        email: Option<&str>,
        identities: &[Identity],
    ) -> Result<ContactId, StoreError> {
        let mut tx = self.begin().await?;
        let id = create_contact_in(&mut tx, first, last, email, identities).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records the page a visitor started from, unless one is recorded already.
    pub async fn note_start_page(&self, contact: ContactId, page: &str) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE contacts SET start_page = $1 WHERE id = $2 AND start_page IS NULL")
            .bind(page)
            .bind(contact.0)
            .execute(&mut tx.inner)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The contact an identity belongs to.
    pub async fn contact_by_identity(
        &self,
        identity: &Identity,
    ) -> Result<Option<ContactId>, StoreError> {
        let (kind, value) = identity_parts(identity);
        let row =
            sqlx::query("SELECT contact_id FROM contact_identities WHERE kind = $1 AND value = $2")
                .bind(kind)
                .bind(value)
                .fetch_optional(self.pool())
                .await?;
        row.map(|r| Ok(ContactId(r.try_get("contact_id")?)))
            .transpose()
    }

    /// The contact for an identity, created (with name and email) when new. Concurrent first
    /// visits of the same customer end on one contact.
    pub async fn contact_for_identity(
        &self,
        identity: &Identity,
        first: &str,
        last: &str,
        email: Option<&str>,
    ) -> Result<ContactId, StoreError> {
        if let Some(id) = self.contact_by_identity(identity).await? {
            return Ok(id);
        }
        match self
            .create_contact(first, last, email, std::slice::from_ref(identity))
            .await
        {
            Ok(id) => Ok(id),
            Err(e) => match self.contact_by_identity(identity).await? {
                Some(id) => Ok(id),
                None => Err(e),
            },
        }
    }

    /// Stores a visitor token (by hash) for a contact, valid until `expires_at`; an
    /// `identified` token was issued for a signed customer identity.
    pub async fn create_visitor_token(
        &self,
        token_hash: &str,
        contact: ContactId,
        expires_at: i64,
        identified: bool,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO visitor_tokens (token_hash, contact_id, created_at, expires_at, identified) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(contact.0)
        .bind(now_ms())
        .bind(expires_at)
        .bind(i64::from(identified))
        .execute(&mut tx.inner)
        .await?;
        tx.commit().await
    }

    /// A visitor token by its hash (expired or not: the caller decides).
    pub async fn visitor_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<VisitorToken>, StoreError> {
        let row = sqlx::query(
            "SELECT contact_id, expires_at, identified FROM visitor_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut self.point_read())
        .await?;
        row.map(|r| {
            Ok(VisitorToken {
                contact: ContactId(r.try_get("contact_id")?),
                expires_at: r.try_get("expires_at")?,
                identified: r.try_get::<i64, _>("identified")? == 1,
            })
        })
        .transpose()
    }

    /// Moves an anonymous token's expiry forward to `expires_at` (sliding lifetime); one
    /// write at most per token and `step_ms`, not one per request.
    pub async fn slide_visitor_token(
        &self,
        token_hash: &str,
        expires_at: i64,
        step_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE visitor_tokens SET expires_at = $1 \
             WHERE token_hash = $2 AND identified = 0 AND expires_at < $3",
        )
        .bind(expires_at)
        .bind(token_hash)
        .bind(expires_at - step_ms)
        .execute(&mut tx.inner)
        .await?;
        tx.commit().await
    }

    /// Deletes visitor tokens that expired before `before`; how many.
    pub async fn prune_visitor_tokens(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM visitor_tokens WHERE expires_at < $1")
            .bind(before)
            .execute(&mut tx.inner)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// Fills in a visitor's name and email when the contact has none yet.
    pub async fn fill_contact_details(
        &self,
        id: ContactId,
        first: &str,
        last: &str,
        email: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE contacts SET first_name = CASE WHEN first_name = '' AND last_name = '' THEN $1 ELSE first_name END, \
             last_name = CASE WHEN first_name = '' AND last_name = '' THEN $2 ELSE last_name END, \
             email = COALESCE(email, $3) WHERE id = $4",
        )
        .bind(first)
        .bind(last)
        .bind(email)
        .bind(id.0)
        .execute(&mut tx.inner)
        .await?;
        tx.commit().await
    }

    /// Every interaction with a contact, newest first (Contact History).
    pub async fn contact_interactions(
        &self,
        id: ContactId,
    ) -> Result<Vec<InteractionView>, StoreError> {
        let sql = format!("{INTERACTION_SELECT} WHERE i.contact_id = $1 ORDER BY i.id DESC");
        let rows = sqlx::query(&sql).bind(id.0).fetch_all(self.pool()).await?;
        Ok(rows.iter().map(interaction).collect::<Result<_, _>>()?)
    }

    /// One page of the Contacts list for an agent, newest activity first.
    pub async fn list_contacts(
        &self,
        agent: AgentId,
        q: &ContactListQuery,
    ) -> Result<Vec<ContactSummary>, StoreError> {
        let mut b = SqlBuilder::default();
        if q.search.is_some() {
            b.plan_every_run();
            // The words are looked for in the messages too: through a full-text index that
            // has every message in it.
            self.catch_up_search_index().await?;
        }
        let me = b.arg(Arg::Int(agent.0));
        b.push(&format!(
            "SELECT c.id, c.first_name, c.last_name, c.email, c.channels, c.last_activity_at, c.last_message, c.start_page, \
             (SELECT COUNT(*) FROM messages m WHERE m.contact_id = c.id AND m.author_kind = 'contact' \
                AND m.seq > COALESCE((SELECT r.read_seq FROM agent_contact_reads r WHERE r.agent_id = {me} AND r.contact_id = c.id), 0)) AS unread \
             FROM contacts c WHERE c.last_seq > 0"
        ));
        if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let like = b.arg(Arg::Text(format!(
                "%{}%",
                escape_like(&search.to_lowercase())
            )));
            b.push(&format!(
                " AND (LOWER(c.first_name || ' ' || c.last_name) LIKE {like} ESCAPE '\\' \
                 OR LOWER(COALESCE(c.email, '')) LIKE {like} ESCAPE '\\'"
            ));
            if let Some(fts) = self.dialect().search_param(search) {
                let n = b.next_index();
                b.arg(Arg::Text(fts));
                b.push(" OR EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND ");
                b.push(&self.dialect().search_condition(n));
                b.push(")");
            }
            b.push(")");
        }
        match q.public {
            Some(true) => b.push(" AND c.has_public = 1"),
            Some(false) => b.push(" AND c.has_private = 1"),
            None => {}
        }
        if let Some((at, id)) = q.after {
            let at = b.arg(Arg::Int(at));
            let id = b.arg(Arg::Int(id));
            b.push(&format!(
                " AND (c.last_activity_at < {at} OR (c.last_activity_at = {at} AND c.id < {id}))"
            ));
        }
        let limit = b.arg(Arg::Int(i64::from(q.limit)));
        b.push(&format!(
            " ORDER BY c.last_activity_at DESC, c.id DESC LIMIT {limit}"
        ));
        let rows = b.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let first: String = r.try_get("first_name")?;
                let last: String = r.try_get("last_name")?;
                let channels: String = r.try_get("channels")?;
                let id = ContactId(r.try_get("id")?);
                Ok(ContactSummary {
                    id,
                    name: wire::display_name(id, &first, &last),
                    page: r.try_get("start_page")?,
                    email: r.try_get("email")?,
                    channels: channels.split(',').filter_map(Channel::parse).collect(),
                    last_activity_at: r.try_get("last_activity_at")?,
                    last_message: r.try_get("last_message")?,
                    unread: u32::try_from(r.try_get::<i64, _>("unread")?).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }
}

/// Escapes `%`, `_` and the backslash for a `LIKE … ESCAPE` pattern.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Creates a contact inside a transaction.
pub(super) async fn create_contact_in(
    tx: &mut super::Tx,
    first: &str,
    last: &str,
    email: Option<&str>,
    identities: &[Identity],
) -> Result<ContactId, StoreError> {
    let id: i64 = sqlx::query(
        "INSERT INTO contacts (first_name, last_name, email, last_activity_at, created_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(first)
    .bind(last)
    .bind(email)
    .bind(now_ms())
    .fetch_one(&mut tx.inner)
    .await?
    .try_get("id")?;
    for identity in identities {
        let (kind, value) = identity_parts(identity);
        sqlx::query("INSERT INTO contact_identities (kind, value, contact_id) VALUES ($1, $2, $3)")
            .bind(kind)
            .bind(value)
            .bind(id)
            .execute(&mut tx.inner)
            .await?;
    }
    Ok(ContactId(id))
}

/// A stored visitor token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitorToken {
    /// The contact it reaches.
    pub contact: ContactId,
    /// When it stops working (ms).
    pub expires_at: i64,
    /// Issued for a signed customer identity: bound to its expiry, never resumed without it.
    pub identified: bool,
}
