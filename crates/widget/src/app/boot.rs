//! Starting: the loader's messages, resuming a stored or identified session, the start form,
//! and connecting a session (the stream loads the newest page before it opens).

use super::{live, with, Mode};
use crate::bridge::{FromLoader, ToLoader};
use crate::{api, checks, store};
use wasm_bindgen_futures::spawn_local;
use wire::api::{VisitorSession, VisitorSessionRequest};

/// Handles a message from the loader.
pub(super) fn on_loader(message: FromLoader) {
    match message {
        FromLoader::Init {
            identity,
            open,
            page,
        } => {
            let first = with(|a| {
                a.host.identity = identity;
                a.host.open = open;
                a.host.page = page;
                !std::mem::replace(&mut a.host.booted, true)
            });
            if first == Some(true) {
                spawn_local(boot());
            }
        }
        FromLoader::Show => {
            with(|a| {
                a.host.open = true;
                a.ack();
                a.scroll_to_end();
                a.focus();
            });
        }
        FromLoader::Hide => {
            with(|a| {
                a.host.open = false;
                a.picker(false);
            });
        }
        FromLoader::Identify { identity } => {
            let restart = with(|a| {
                if a.host.identity == identity {
                    return false;
                }
                // Another customer (or none) on this browser must not see the old conversation.
                if a.host.identity.is_some() {
                    store::clear();
                }
                a.host.identity = identity;
                if a.host.booted {
                    a.reset();
                }
                a.host.booted
            });
            if restart == Some(true) {
                spawn_local(boot());
            }
        }
    }
}

/// Resumes the stored or identified session, or shows the start form.
pub(super) async fn boot() {
    let Some((epoch, identity, page)) = with(|a| {
        a.set_mode(Mode::Loading);
        (a.epoch, a.host.identity.clone(), a.host.page.clone())
    }) else {
        return;
    };
    let (token, identity) = match store::plan(store::load(), identity) {
        store::Resume::Start => {
            with(|a| {
                a.set_mode(Mode::Start);
                a.focus_if_open();
            });
            return;
        }
        store::Resume::Token(token) => (Some(token), None),
        store::Resume::Identity(identity) => {
            // A token kept from before must not outlive this customer's visit.
            store::clear();
            (None, Some(identity))
        }
    };
    let stored = token.is_some();
    let identified = identity.is_some();
    let request = VisitorSessionRequest {
        visitor_token: token,
        identity,
        name: None,
        email: None,
        page,
    };
    match api::session(&request).await {
        Ok(session) => connect(epoch, session, stored),
        Err(e) => {
            if api::is_auth(&e) {
                store::clear();
            }
            with(|a| {
                if a.epoch == epoch {
                    a.set_mode(Mode::Start);
                    a.focus_if_open();
                    if identified && e.is_forbidden() {
                        // The page vouched for a customer but the signature is forged or
                        // expired: say so instead of silently showing a stranger's start form.
                        a.alert(&format!(
                            "We could not confirm who you are ({}). Reload the page or sign in again.",
                            api::message(&e)
                        ));
                    } else if !api::is_auth(&e) {
                        a.alert(&api::message(&e));
                    }
                }
            });
        }
    }
}

/// Makes `session` the panel's and starts its stream, which takes a ticket, loads the newest
/// page ([`live::first_page`]) and opens from the ticket's head.
pub(super) fn connect(epoch: u32, session: VisitorSession, stored: bool) {
    let token = session.visitor_token.clone();
    with(|a| {
        if stored {
            store::save(&token, a.host.identity.is_some());
        }
        if a.epoch == epoch {
            a.receipts.unread = session.unread;
            a.session = Some(session);
            a.stored = stored;
            a.post_unread();
            a.stream = Some(live::stream(epoch, token));
        }
    });
}

/// "Start chat": creates (or resumes) the session with the name and email given.
pub(super) async fn start_chat() {
    let Some(Some((epoch, request))) = with(|a| {
        if a.outbox.busy {
            return None;
        }
        if let Err(why) = checks::check_details(&a.ui.name.value(), &a.ui.email.value()) {
            a.alert(&why);
            return None;
        }
        a.outbox.busy = true;
        a.clear_alert();
        let field = |v: String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        Some((
            a.epoch,
            VisitorSessionRequest {
                // An identified customer's session comes from the identity alone.
                visitor_token: store::load()
                    .filter(|_| a.host.identity.is_none())
                    .or_else(|| a.token()),
                identity: a.host.identity.clone(),
                name: field(a.ui.name.value()),
                email: field(a.ui.email.value()),
                page: a.host.page.clone(),
            },
        ))
    }) else {
        return;
    };
    let result = api::session(&request).await;
    let next = with(|a| {
        a.outbox.busy = false;
        if a.epoch != epoch {
            return None;
        }
        match result {
            Ok(session) => {
                store::save(&session.visitor_token, a.host.identity.is_some());
                a.notify(&ToLoader::Started);
                if a.token().as_deref() == Some(session.visitor_token.as_str()) {
                    a.stored = true;
                    a.set_mode(Mode::Chat);
                    a.focus();
                    None
                } else {
                    a.reset();
                    Some((a.epoch, session))
                }
            }
            Err(e) => {
                a.alert(&api::message(&e));
                None
            }
        }
    })
    .flatten();
    if let Some((epoch, session)) = next {
        connect(epoch, session, true);
    }
}
