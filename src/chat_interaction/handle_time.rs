//! Handle time counts only while an interaction view is shown: each stretch is sent to the
//! server when the agent leaves the view.

use crate::api::{ApiClient, LoggedIn};
use crate::browser;
use crate::shell::state::{Nav, Notices, Place};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::api::HandleTimeSegment;
use wire::{InteractionId, Millis};

/// The interaction view shown now and since when, as a context.
#[derive(Debug, Clone, Copy)]
pub struct Viewing(pub RwSignal<Option<(InteractionId, Millis)>>);

impl Viewing {
    /// Milliseconds of the current stretch, if `id` is shown.
    pub fn current_ms(self, id: InteractionId, now: Millis) -> i64 {
        match self.0.get() {
            Some((shown, since)) if shown == id => (now - since).max(0),
            _ => 0,
        }
    }
}

/// Watches navigation and records a segment whenever an interaction view is left.
pub fn track(nav: Nav, client: ApiClient<LoggedIn>, notices: Notices) -> Viewing {
    let viewing = Viewing(RwSignal::new(None));
    Effect::new(move |_| {
        let place = nav.0.get();
        let now = browser::now();
        let before = viewing.0.get_untracked();
        let shown = match place {
            Place::Interaction(id) => Some(id),
            Place::Home | Place::Communication => None,
        };
        if before.map(|(id, _)| id) == shown {
            return;
        }
        if let Some((id, since)) = before {
            let segment = HandleTimeSegment {
                started_at: since,
                ended_at: now,
            };
            let client = client.clone();
            spawn_local(async move {
                if let Err(e) = client.handle_time(id, &segment).await {
                    // An interaction marked Done has its time already; nothing to tell.
                    if !matches!(
                        &e,
                        crate::api::ApiError::Request(f) if f.code() == Some(wire::ErrorCode::Conflict)
                            || f.code() == Some(wire::ErrorCode::NotFound)
                    ) {
                        notices.error("Recording handle time", &e);
                    }
                }
            });
        }
        viewing.0.set(shown.map(|id| (id, now)));
    });
    viewing
}
