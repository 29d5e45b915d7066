//! The only code that writes `interactions.state` on an existing interaction. Every change —
//! routing's offer, accept, claim, reject, an offer's timeout, either side ending the chat,
//! Mark Done, closing an ended chat that a new one continues — is checked against
//! [`wire::lifecycle::next`] and written with a guard on the state it was read in, so a change
//! made meanwhile by another transaction is refused rather than overwritten.

use super::sql::Arg;
use super::StoreError;
use super::Tx;
use std::fmt::Write as _;
use wire::lifecycle::{self, Action};
use wire::{InteractionId, InteractionState};

/// Applies `action` to interaction `id`, read in state `from`: writes the state the lifecycle
/// gives and the other columns in `sets` (column name, value) in one `UPDATE`. Refuses an action
/// the lifecycle does not allow in `from`, and an interaction no longer in `from`.
pub(super) async fn transition(
    tx: &mut Tx,
    id: InteractionId,
    from: InteractionState,
    action: Action,
    sets: &[(&'static str, Arg)],
) -> Result<InteractionState, StoreError> {
    let to = lifecycle::next(from, action)?;
    let mut assignments = String::new();
    for (i, (column, _)) in sets.iter().enumerate() {
        // Writing to a String cannot fail.
        let _ = write!(assignments, ", {column} = ${}", i + 2);
    }
    let n = sets.len();
    let sql = format!(
        "UPDATE interactions SET state = $1{assignments} WHERE id = ${} AND state = ${}",
        n + 2,
        n + 3
    );
    let mut q = sqlx::query(&sql).bind(to.as_str());
    for (_, value) in sets {
        q = match value {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_str()),
            Arg::Null => q.bind(None::<i64>),
        };
    }
    let changed = q
        .bind(id.0)
        .bind(from.as_str())
        .execute(&mut tx.inner)
        .await?
        .rows_affected();
    if changed != 1 {
        return Err(StoreError::conflict("the interaction changed meanwhile"));
    }
    match to {
        // Whoever holds the chat now hears who watches it.
        InteractionState::Active if from != InteractionState::Active => {
            super::monitors::announce_to_holder(tx, id).await?;
        }
        InteractionState::Queued | InteractionState::Offered | InteractionState::Active => {}
        // Nobody monitors a chat whose session is over.
        _ => super::monitors::end_for_interaction(tx, id).await?,
    }
    Ok(to)
}

/// The states that hold a slot of an agent's capacity, as an SQL list (`'offered', …`) for
/// `state IN (…)`: [`InteractionState::HOLDING_CAPACITY`], the one definition.
pub(super) fn holding_capacity_sql() -> String {
    InteractionState::HOLDING_CAPACITY
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use sqlx::Row;

    async fn store_with_interaction(
        state: InteractionState,
    ) -> (Store, InteractionId, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let contact: i64 = sqlx::query(
            "INSERT INTO contacts (last_activity_at, created_at) VALUES (0, 0) RETURNING id",
        )
        .fetch_one(&mut tx.inner)
        .await
        .unwrap()
        .get("id");
        let id: i64 = sqlx::query("INSERT INTO interactions (contact_id, channel, state, created_at) VALUES ($1, 'web_chat', $2, 0) RETURNING id")
            .bind(contact)
            .bind(state.as_str())
            .fetch_one(&mut tx.inner)
            .await
            .unwrap()
            .get("id");
        tx.commit().await.unwrap();
        (store, InteractionId(id), dir)
    }

    async fn state_of(store: &Store, id: InteractionId) -> String {
        sqlx::query("SELECT state FROM interactions WHERE id = $1")
            .bind(id.0)
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("state")
    }

    #[tokio::test]
    async fn an_illegal_transition_is_refused_and_writes_nothing() {
        let (store, id, _dir) = store_with_interaction(InteractionState::Done).await;
        let mut tx = store.begin().await.unwrap();
        let refused = transition(&mut tx, id, InteractionState::Done, Action::Claim, &[]).await;
        assert!(
            matches!(refused, Err(StoreError::InvalidState(r)) if r.action == Action::Claim),
            "{refused:?}"
        );
        tx.commit().await.unwrap();
        assert_eq!(state_of(&store, id).await, "done");
    }

    #[tokio::test]
    async fn a_transition_from_a_stale_state_is_refused() {
        let (store, id, _dir) = store_with_interaction(InteractionState::Done).await;
        let mut tx = store.begin().await.unwrap();
        // Read as queued earlier; it has been closed since.
        let stale = transition(&mut tx, id, InteractionState::Queued, Action::Offer, &[]).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
        tx.commit().await.unwrap();
        assert_eq!(state_of(&store, id).await, "done");
    }

    #[tokio::test]
    async fn a_legal_transition_writes_the_state_and_its_columns() {
        let (store, id, _dir) = store_with_interaction(InteractionState::Queued).await;
        let mut tx = store.begin().await.unwrap();
        let to = transition(
            &mut tx,
            id,
            InteractionState::Queued,
            Action::Offer,
            &[("offer_expires_at", Arg::Int(42))],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(to, InteractionState::Offered);
        assert_eq!(state_of(&store, id).await, "offered");
    }

    #[test]
    fn capacity_list_is_the_wire_definition() {
        assert_eq!(holding_capacity_sql(), "'offered', 'active', 'ended'");
        assert!(InteractionState::Offered.holds_capacity());
        assert!(!InteractionState::Queued.holds_capacity());
        assert!(!InteractionState::Done.holds_capacity());
    }
}
