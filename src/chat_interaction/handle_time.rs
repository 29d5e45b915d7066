//! Handle time counts only while an interaction view is shown: each stretch is sent to the
//! server when the agent leaves the view, when the page is hidden or closed (a `keepalive`
//! request, which outlives the page), and before logging out.

use crate::api::{ApiClient, ClientError, LoggedIn};
use crate::browser;
use crate::shell::state::{Nav, Notices};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wire::api::HandleTimeSegment;
use wire::{ErrorCode, InteractionId, Millis};

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

    /// Ends the current stretch now and gives it back (the view stops counting).
    pub fn take(self) -> Option<(InteractionId, HandleTimeSegment)> {
        let (id, since) = self.0.get_untracked()?;
        self.0.set(None);
        let segment = HandleTimeSegment {
            started_at: since,
            ended_at: browser::now(),
        };
        Some((id, segment))
    }
}

fn record(
    client: ApiClient<LoggedIn>,
    notices: Notices,
    id: InteractionId,
    segment: HandleTimeSegment,
    keepalive: bool,
) {
    if segment.ended_at <= segment.started_at {
        return;
    }
    spawn_local(async move {
        if let Err(e) = client.handle_time(id, &segment, keepalive).await {
            // An interaction marked Done has its time already; nothing to tell.
            let settled = matches!(
                &e,
                ClientError::Request(f) if matches!(f.code(), Some(ErrorCode::Conflict | ErrorCode::NotFound))
            );
            if !settled && !keepalive {
                notices.error("Recording handle time", &e);
            }
        }
    });
}

fn shown(nav: Nav) -> Option<InteractionId> {
    nav.place_untracked().shown_interaction()
}

/// Watches navigation and page visibility and records a segment whenever a view stops showing.
pub fn track(nav: Nav, client: ApiClient<LoggedIn>, notices: Notices) -> Viewing {
    let viewing = Viewing(RwSignal::new(None));
    let c = client.clone();
    Effect::new(move |_| {
        nav.place();
        let now_shown = if browser::page_hidden() {
            None
        } else {
            shown(nav)
        };
        if viewing.0.get_untracked().map(|(id, _)| id) == now_shown {
            return;
        }
        if let Some((id, segment)) = viewing.take() {
            record(c.clone(), notices, id, segment, false);
        }
        viewing.0.set(now_shown.map(|id| (id, browser::now())));
    });
    // Hidden or closed: send what was counted with `keepalive`; shown again: count again.
    let on_change: Closure<dyn FnMut(web_sys::Event)> = Closure::new(move |_: web_sys::Event| {
        if browser::page_hidden() {
            if let Some((id, segment)) = viewing.take() {
                record(client.clone(), notices, id, segment, true);
            }
        } else if viewing.0.get_untracked().is_none() {
            viewing.0.set(shown(nav).map(|id| (id, browser::now())));
        }
    });
    if let Some(window) = web_sys::window() {
        let f = on_change.as_ref().unchecked_ref();
        let _ = window.add_event_listener_with_callback("pagehide", f);
        if let Some(doc) = window.document() {
            let _ = doc.add_event_listener_with_callback("visibilitychange", f);
        }
        let stored = StoredValue::new_local(Some(on_change));
        on_cleanup(move || {
            if let Some(Some(cb)) = stored.try_update_value(Option::take) {
                let f = cb.as_ref().unchecked_ref();
                let _ = window.remove_event_listener_with_callback("pagehide", f);
                if let Some(doc) = window.document() {
                    let _ = doc.remove_event_listener_with_callback("visibilitychange", f);
                }
            }
        });
    }
    viewing
}
