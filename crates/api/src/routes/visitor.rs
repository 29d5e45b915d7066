//! `/api/visitor/*`: what the website widget calls. A visitor token reaches only its own
//! contact's conversation, and answers carry only the visitor views of `wire::visitor`.
//! Strangers are limited per visitor and per address (`visitor_limits`); typing is fanned out
//! live through the hub, never written.

use super::contacts::ConversationQuery;
use super::{check_chars, page_size, validate_message};
use crate::auth::{identity_expires, new_token, token_hash, verify_identity, VisitorAuth};
use crate::error::{ApiError, JsonBody, QueryParams};
use crate::state::AppState;
use crate::store::{ChannelFilter, VisitorSendOptions};
use crate::util::{ms, now_ms};
use crate::visitor_limits::Action;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use std::net::{IpAddr, SocketAddr};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::{
    ReceiptRequest, TypingRequest, VisitorSendRequest, VisitorSession, VisitorSessionRequest,
};
use wire::visitor::{VisitorConversationPage, VisitorMessage};
use wire::{ContactId, Event, Identity, Party};

/// The caller's address (behind `--trusted-proxies`, the client they forward for).
pub(crate) fn client_of(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    state.login_limits.client_address(peer.ip(), headers)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session))
        .routes(routes!(conversation))
        .routes(routes!(send))
        .routes(routes!(typing))
        .routes(routes!(receipts))
        .routes(routes!(end))
        .routes(routes!(away))
}

/// Starts or resumes a visitor's conversation: with the token this browser was given, or with
/// an identity the company website signed (the same conversation on any device).
#[utoipa::path(post, path = "/api/visitor/session", tag = "visitor", request_body = VisitorSessionRequest,
    responses((status = 200, body = VisitorSession), (status = 400, body = wire::ErrorBody), (status = 401, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody),
        (status = 429, body = wire::ErrorBody)))]
async fn session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<VisitorSessionRequest>,
) -> Result<Json<VisitorSession>, ApiError> {
    state
        .visitor_limits
        .admit_session(client_of(&state, peer, &headers))?;
    let name = req.name.as_deref().map_or("", str::trim);
    let email = req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    check_chars("the name", name, wire::checks::Lines::One)?;
    if let Some(e) = email {
        check_chars("the email address", e, wire::checks::Lines::One)?;
    }
    if name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "the name may have at most 100 characters",
        ));
    }
    if let Some(e) = email {
        if e.len() > 254
            || !e
                .split_once('@')
                .is_some_and(|(u, h)| !u.is_empty() && h.contains('.'))
        {
            return Err(ApiError::invalid("the email address is not valid"));
        }
    }
    let page = req.page.as_deref().map(str::trim).filter(|p| !p.is_empty());
    if page.is_some_and(|p| !wire::valid_start_page(p)) {
        return Err(ApiError::invalid(format!(
            "the page must be a path starting with / of at most {} characters, without spaces",
            wire::MAX_START_PAGE_CHARS
        )));
    }
    let (first, last) = name
        .split_once(' ')
        .map_or((name, ""), |(f, l)| (f, l.trim()));
    let (contact, token) = if let Some(identity) = req.identity.as_deref() {
        let customer = verify_identity(&state.config.identity_secret, identity, now_ms() / 1000)
            .map_err(|e| ApiError::Forbidden(e.to_string()))?;
        let contact = state
            .store
            .contact_for_identity(&Identity::WebCustomer(customer), first, last, email)
            .await?;
        // The token lives exactly as long as the identity the site signed.
        let until = identity_expires(identity)
            .ok_or_else(|| ApiError::Forbidden("the identity token is malformed".into()))?
            .saturating_mul(1000);
        (contact, issue_token(&state, contact, until, true).await?)
    } else if let Some(token) = req.visitor_token.as_deref() {
        let found = crate::auth::visitor_token(&state, token).await?;
        if found.identified {
            // A customer's conversation opens only while the site vouches for them.
            return Err(ApiError::IdentityRequired);
        }
        (found.contact, token.to_owned())
    } else {
        let visitor_id = new_token("");
        let contact = state
            .store
            .contact_for_identity(&Identity::WebVisitor(visitor_id), first, last, email)
            .await?;
        let until = now_ms() + ms(state.config.visitor_token_ttl);
        (contact, issue_token(&state, contact, until, false).await?)
    };
    if !name.is_empty() || email.is_some() {
        state
            .store
            .fill_contact_details(contact, first, last, email)
            .await?;
    }
    if let Some(page) = page {
        state.store.note_start_page(contact, page).await?;
    }
    let view = state
        .store
        .contact(contact)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(VisitorSession {
        visitor_token: token,
        contact_id: contact,
        name: view.display_name(),
        unread: state.store.visitor_unread(contact).await?,
        open_interaction: state.store.visitor_open_interaction(contact).await?,
    }))
}

async fn issue_token(
    state: &AppState,
    contact: ContactId,
    expires_at: i64,
    identified: bool,
) -> Result<String, ApiError> {
    let token = new_token("tlv_");
    state
        .store
        .create_visitor_token(&token_hash(&token), contact, expires_at, identified)
        .await?;
    Ok(token)
}

/// The visitor's conversation (Web Chat), newest back.
#[utoipa::path(get, path = "/api/visitor/conversation", tag = "visitor", security(("bearer" = [])), params(ConversationQuery),
    responses((status = 200, body = VisitorConversationPage), (status = 401, body = wire::ErrorBody)))]
async fn conversation(
    State(state): State<AppState>,
    auth: VisitorAuth,
    QueryParams(q): QueryParams<ConversationQuery>,
) -> Result<Json<VisitorConversationPage>, ApiError> {
    let page = state
        .store
        .conversation(
            auth.contact,
            q.before_seq,
            page_size(q.limit, 100)?,
            ChannelFilter::WebChat,
        )
        .await?;
    Ok(Json(page.into()))
}

/// The visitor writes; with no chat open this starts one.
#[utoipa::path(post, path = "/api/visitor/messages", tag = "visitor", security(("bearer" = [])), request_body = VisitorSendRequest,
    responses((status = 200, body = VisitorMessage), (status = 400, body = wire::ErrorBody), (status = 413, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
async fn send(
    State(state): State<AppState>,
    auth: VisitorAuth,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<VisitorSendRequest>,
) -> Result<Json<VisitorMessage>, ApiError> {
    validate_message(&state, &req.client_id, &req.text, req.attachment_id)?;
    state.visitor_limits.admit(
        Action::Message,
        auth.contact,
        client_of(&state, peer, &headers),
    )?;
    let opts = VisitorSendOptions {
        channel: wire::Channel::WebChat,
        reservation_ms: state
            .store
            .reservation_ms(wire::Channel::WebChat, ms(state.config.reservation_timeout)),
    };
    let stored = state
        .store
        .send_as_contact(
            auth.contact,
            req.client_id,
            req.text,
            req.attachment_id,
            opts,
        )
        .await?;
    if stored.queued {
        state.routing.poke();
    }
    Ok(Json(stored.message.into()))
}

/// The visitor is typing (or stopped).
#[utoipa::path(post, path = "/api/visitor/typing", tag = "visitor", security(("bearer" = [])), request_body = TypingRequest,
    responses((status = 204), (status = 401, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
async fn typing(
    State(state): State<AppState>,
    auth: VisitorAuth,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<TypingRequest>,
) -> Result<StatusCode, ApiError> {
    state.visitor_limits.admit(
        Action::Typing,
        auth.contact,
        client_of(&state, peer, &headers),
    )?;
    // Nothing is written: the agent's streams get it live (on other instances through
    // PostgreSQL `NOTIFY`), or not at all.
    if let Some(agent) = state.store.visitor_typing_agent(auth.contact).await? {
        let notice = state.hub.send_live(
            Some(agent),
            None,
            &Event::Typing {
                contact_id: auth.contact,
                party: Party::Contact,
                typing: req.typing,
            },
        );
        state.store.notify_live(&notice).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor received or read agent messages up to a seq.
#[utoipa::path(post, path = "/api/visitor/receipts", tag = "visitor", security(("bearer" = [])), request_body = ReceiptRequest,
    responses((status = 204), (status = 400, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
async fn receipts(
    State(state): State<AppState>,
    auth: VisitorAuth,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<ReceiptRequest>,
) -> Result<StatusCode, ApiError> {
    state.visitor_limits.admit(
        Action::Receipt,
        auth.contact,
        client_of(&state, peer, &headers),
    )?;
    if req.up_to_seq < 0 {
        return Err(ApiError::invalid("up_to_seq must not be negative"));
    }
    state
        .store
        .visitor_receipt(auth.contact, req.up_to_seq, req.read)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor ends their chat.
#[utoipa::path(post, path = "/api/visitor/end", tag = "visitor", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = wire::ErrorBody)))]
async fn end(State(state): State<AppState>, auth: VisitorAuth) -> Result<StatusCode, ApiError> {
    state.store.end_by_contact(auth.contact).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The visitor's page is going away (closed, or left for another): on a channel without
/// asynchronous chat their chat ends soon unless another page of theirs is still open. The
/// widget sends it as the page hides; a page that goes without a word is found gone by its
/// stream's silence after the presence timeout.
#[utoipa::path(post, path = "/api/visitor/away", tag = "visitor", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = wire::ErrorBody), (status = 429, body = wire::ErrorBody)))]
async fn away(
    State(state): State<AppState>,
    auth: VisitorAuth,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    // Each page has one stream ticket and one away: reconnects and page loads share a quota.
    state.visitor_limits.admit(
        Action::Ticket,
        auth.contact,
        client_of(&state, peer, &headers),
    )?;
    let presence = state.config.presence_timeout;
    state
        .store
        .visitor_away(
            auth.contact,
            ms(presence),
            ms(crate::hub::presence_tick(presence) * 2),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
