//! The desktop's `postMessage` host API (protocol `threadline/1`, types in
//! [`wire::embed::host`]): a portal that frames the desktop logs an agent in with a login
//! token, logs them out, sets their status, opens contacts and interactions, accepts and
//! rejects offers, starts chats and writes into the message field, and hears what happens
//! (which server event means which portal event is decided once, in
//! [`wire::embed::host::events`], and the event dispatcher hands every event over). Inert
//! outside a frame. Inside one, messages are read only from the origins of
//! `GET /api/embed/config` (others are dropped, with a debug line at most) and answered at that
//! exact origin, never `"*"`.
//!
//! # Layout
//! - `mod.rs`: starting the host, reading messages, the events (`ready`, `logged_in`,
//!   `logged_out`) the session drives, and [`Bridge`], which the shell renders to hand over
//!   its state and report status, place and unread changes.
//! - `commands.rs`: what each command does.
//! - [`state`]: the [`state::Host`] context.

mod commands;
pub mod state;

use crate::api::ApiClient;
use crate::session::{Phase, SessionState};
use crate::shell::state::desk;
use leptos::prelude::*;
use leptos::task::spawn_local;
use state::{data_of, Host, Origin};
use wasm_bindgen::JsValue;
use wire::embed::host::{parse_command, HostError, HostMessage, ERROR_INVALID};

/// Whether the page is in a frame.
fn framed() -> bool {
    window()
        .parent()
        .ok()
        .flatten()
        .is_some_and(|p| !js_sys::Object::is(p.as_ref(), window().as_ref()))
}

/// The origin of the page that frames this one, where the browser tells
/// (`location.ancestorOrigins`).
fn parent_origin() -> Option<String> {
    let origins =
        js_sys::Reflect::get(&window().location(), &JsValue::from_str("ancestorOrigins")).ok()?;
    js_sys::Reflect::get(&origins, &JsValue::from_f64(0.0))
        .ok()?
        .as_string()
}

/// Starts the host when the desktop is framed: loads the allowed origins, then listens.
pub fn start(session: SessionState) {
    if !framed() {
        return;
    }
    let host = Host::new();
    provide_context(host);
    spawn_local(async move {
        let config = match ApiClient::new().embed_config().await {
            Ok(config) => config,
            Err(e) => {
                leptos::logging::warn!("embedding: the allowed origins did not load: {e}");
                return;
            }
        };
        host.origins.set_value(config.origins);
        if let Some(parent) = parent_origin().filter(|o| host.allows(o)) {
            host.parent.set_value(Some(Origin(parent)));
        }
        let listener =
            window_event_listener(leptos::ev::message, move |ev| receive(host, session, &ev));
        // The host lives as long as the page.
        std::mem::forget(listener);
        host.post(&HostMessage::Ready);
        follow_session(host, session);
    });
}

/// One message: from an allowed origin it is a command (answered, even when invalid, if it
/// has an id); from any other it is dropped.
fn receive(host: Host, session: SessionState, ev: &web_sys::MessageEvent) {
    let origin = ev.origin();
    if !host.allows(&origin) {
        leptos::logging::debug_warn!("embedding: ignored a message from {origin}");
        return;
    }
    let origin = Origin(origin);
    if host.parent.with_value(Option::is_none) {
        host.parent.set_value(Some(origin.clone()));
    }
    match parse_command(&data_of(&ev.data())) {
        Ok((id, command)) => spawn_local(async move {
            let outcome = commands::run(host, session, &origin, command).await;
            host.post_to(&origin, &HostMessage::result(id, outcome));
        }),
        Err(invalid) => {
            if let Some(id) = invalid.id {
                let error = HostError::new(ERROR_INVALID, invalid.why);
                host.post_to(&origin, &HostMessage::result(id, Err(error)));
            }
        }
    }
}

/// `logged_in` and `logged_out` whenever the session changes, by any means.
fn follow_session(host: Host, session: SessionState) {
    Effect::new(move |was_in: Option<bool>| {
        let phase = session.phase.get();
        let now_in = matches!(phase, Phase::LoggedIn(_));
        match phase {
            Phase::LoggedIn(s) if was_in != Some(true) => host.post(&HostMessage::LoggedIn {
                agent_id: s.agent.id,
                name: s.agent.display_name.clone(),
            }),
            Phase::LoggedOut if was_in == Some(true) => host.post(&HostMessage::LoggedOut),
            _ => {}
        }
        now_in
    });
}

/// Rendered by the shell: hands its state to the host while it lives, and posts
/// `status_changed`, `place_changed` and `unread_changed`. Nothing outside a frame.
#[component]
pub fn Bridge() -> impl IntoView {
    let Some(host) = use_context::<Host>() else {
        return;
    };
    let d = desk();
    host.desk.set(Some(d));
    on_cleanup(move || {
        host.desk.try_set(None);
    });
    Effect::new(move |before: Option<wire::ChatStatus>| {
        let status = d.presence.agent.with(|a| a.status.clone());
        if before.as_ref().is_some_and(|b| *b != status) {
            host.post(&HostMessage::status(&status));
        }
        status
    });
    Effect::new(move |before: Option<String>| {
        let url = d.nav.place().url();
        if before.as_ref().is_some_and(|b| *b != url) {
            host.post(&HostMessage::PlaceChanged { url: url.clone() });
        }
        url
    });
    Effect::new(move |before: Option<u32>| {
        let count = d.contacts.unread_total();
        if before.is_some_and(|b| b != count) {
            host.post(&HostMessage::UnreadChanged { count });
        }
        count
    });
}
