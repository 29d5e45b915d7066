//! `/api/contacts`: the Contacts list, details, linking and unlinking identities, erasing and
//! exporting a contact (`/api/admin/contacts/{id}…`, administrators), history, the
//! merged conversation, sending
//! (with reactivation), the `Chat` button, receipts; plus `/api/search`,
//! `/api/responses`, and `Retry` of a failed message to Messenger or X
//! (`/api/messages/{id}/retry`).

use super::{check_chars, page_size, validate_message};
use crate::auth::{AdminAuth, AgentAuth};
use crate::error::{ApiError, JsonBody, PathParam, QueryParams};
use crate::state::AppState;
use crate::store::{ChannelFilter, ContactListQuery};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::api::{
    AgentSendRequest, ContactExport, ContactPage, ContactPatch, ConversationPage, ErasedContact,
    LinkRequest, ReceiptRequest, ResponseTree, SearchResults, SendResponse, UnlinkRequest,
    UnlinkResult,
};
use wire::checks::Lines;
use wire::{ContactId, ContactView, InteractionView, MessageId, MessageView};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get_contact, patch_contact))
        .routes(routes!(by_customer))
        .routes(routes!(link))
        .routes(routes!(unlink))
        .routes(routes!(erase))
        .routes(routes!(export))
        .routes(routes!(history))
        .routes(routes!(conversation))
        .routes(routes!(send))
        .routes(routes!(chat))
        .routes(routes!(retry_message))
        .routes(routes!(receipts))
        .routes(routes!(search))
        .routes(routes!(responses))
}

/// Contacts list parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ListQuery {
    /// Words to find in names, emails or messages.
    q: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size (default 50).
    limit: Option<u32>,
    /// Only contacts with public (`true`) or private (`false`) conversations.
    public: Option<bool>,
}

/// Every contact the contact center talked with, newest activity first.
#[utoipa::path(get, path = "/api/contacts", tag = "contacts", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = ContactPage), (status = 400, body = wire::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    auth: AgentAuth,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<ContactPage>, ApiError> {
    let limit = page_size(q.limit, 50)?;
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => {
            let (at, id) = c
                .split_once(':')
                .ok_or_else(|| ApiError::invalid("malformed cursor"))?;
            Some((
                at.parse()
                    .map_err(|_| ApiError::invalid("malformed cursor"))?,
                id.parse()
                    .map_err(|_| ApiError::invalid("malformed cursor"))?,
            ))
        }
    };
    if q.q.as_ref().is_some_and(|s| s.len() > 200) {
        return Err(ApiError::invalid(
            "the search may have at most 200 characters",
        ));
    }
    if let Some(words) = &q.q {
        check_chars("the search", words, Lines::One)?;
    }
    let query = ContactListQuery {
        search: q.q,
        public: q.public,
        after,
        limit: limit + 1,
    };
    let mut contacts = state.store.list_contacts(auth.agent, &query).await?;
    let next_cursor = if contacts.len() > limit as usize {
        contacts.truncate(limit as usize);
        contacts
            .last()
            .map(|c| format!("{}:{}", c.last_activity_at, c.id.0))
    } else {
        None
    };
    Ok(Json(ContactPage {
        contacts,
        next_cursor,
    }))
}

/// A contact's details.
#[utoipa::path(get, path = "/api/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")),
    responses((status = 200, body = ContactView), (status = 404, body = wire::ErrorBody)))]
async fn get_contact(
    State(state): State<AppState>,
    _auth: AgentAuth,
    PathParam(id): PathParam<ContactId>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(
        state
            .store
            .contact(id)
            .await?
            .ok_or_else(|| ApiError::not_found("contact"))?,
    ))
}

/// The contact the company knows by its own customer id: the id its website signs for the
/// widget (a `web_customer` identity), which a portal framing the desktop also knows.
#[utoipa::path(get, path = "/api/contacts/by-customer/{customer_id}", tag = "contacts",
    security(("bearer" = [])),
    params(("customer_id" = String, Path, description = "the company's own customer id")),
    responses((status = 200, body = ContactView), (status = 400, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody)))]
async fn by_customer(
    State(state): State<AppState>,
    _auth: AgentAuth,
    PathParam(customer_id): PathParam<String>,
) -> Result<Json<ContactView>, ApiError> {
    if customer_id.is_empty() || customer_id.chars().count() > 200 {
        return Err(ApiError::invalid(
            "the customer id must be 1 to 200 characters",
        ));
    }
    check_chars("the customer id", &customer_id, Lines::One)?;
    let unknown = || ApiError::NotFound("unknown contact".to_owned());
    let id = state
        .store
        .contact_by_identity(&wire::Identity::WebCustomer(customer_id))
        .await?
        .ok_or_else(unknown)?;
    Ok(Json(state.store.contact(id).await?.ok_or_else(unknown)?))
}

/// This contact is the same person as an existing one (`into`): its identities and
/// conversations move there, interleaved in time order, and it is gone. Refused (409) where
/// both have an identity of one kind, or both have a chat in progress.
#[utoipa::path(post, path = "/api/contacts/{id}/link", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the contact linked away")), request_body = LinkRequest,
    responses((status = 200, body = ContactView), (status = 400, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn link(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<ContactId>,
    JsonBody(request): JsonBody<LinkRequest>,
) -> Result<Json<ContactView>, ApiError> {
    Ok(Json(
        state
            .store
            .link_contact(auth.agent, id, request.into)
            .await?,
    ))
}

/// One of the contact's identities is someone else: it becomes a new contact with the
/// conversations on its channels. Refused (409) for the contact's only identity, or one whose
/// channel another identity of the contact shares.
#[utoipa::path(post, path = "/api/contacts/{id}/unlink", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")), request_body = UnlinkRequest,
    responses((status = 200, body = UnlinkResult), (status = 400, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn unlink(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<ContactId>,
    JsonBody(request): JsonBody<UnlinkRequest>,
) -> Result<Json<UnlinkResult>, ApiError> {
    let (contact, new_contact) = state
        .store
        .unlink_identity(auth.agent, id, &request.identity)
        .await?;
    Ok(Json(UnlinkResult {
        contact,
        new_contact,
    }))
}

/// Erases the contact at their request (administrators): their details, identities,
/// conversations, pictures and browser sessions, the event log's rows about them and their
/// details in earlier audit entries are deleted, their chats leave the reports, and every
/// desktop drops them. Refused (409) while a chat of theirs is not Done. The audit log keeps
/// that it happened, by whom, and the counts answered here.
#[utoipa::path(delete, path = "/api/admin/contacts/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")),
    responses((status = 200, body = ErasedContact), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn erase(
    State(state): State<AppState>,
    auth: AdminAuth,
    PathParam(id): PathParam<ContactId>,
) -> Result<Json<ErasedContact>, ApiError> {
    Ok(Json(
        state.store.erase_contact(Some(auth.0.agent), id).await?,
    ))
}

/// Everything kept of the contact, for their request to see it (administrators): details
/// and identities, every interaction and every message, oldest first; pictures by their
/// messages' URLs. Audited (`contact.export`).
#[utoipa::path(get, path = "/api/admin/contacts/{id}/export", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")),
    responses((status = 200, body = ContactExport), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    auth: AdminAuth,
    PathParam(id): PathParam<ContactId>,
) -> Result<Json<ContactExport>, ApiError> {
    Ok(Json(
        state.store.export_contact(Some(auth.0.agent), id).await?,
    ))
}

/// Changes a contact's name, email, phone or notes.
#[utoipa::path(patch, path = "/api/contacts/{id}", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")), request_body = ContactPatch,
    responses((status = 200, body = ContactView), (status = 400, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody)))]
async fn patch_contact(
    State(state): State<AppState>,
    _auth: AgentAuth,
    PathParam(id): PathParam<ContactId>,
    JsonBody(patch): JsonBody<ContactPatch>,
) -> Result<Json<ContactView>, ApiError> {
    for (field, value, max) in [
        ("first name", &patch.first_name, 100),
        ("last name", &patch.last_name, 100),
        ("email", &patch.email, 254),
        ("phone", &patch.phone, 40),
        ("notes", &patch.notes, 4000),
    ] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err(ApiError::invalid(format!(
                "the {field} may have at most {max} characters"
            )));
        }
        if let Some(v) = value {
            let lines = if field == "notes" {
                Lines::Many
            } else {
                Lines::One
            };
            check_chars(&format!("the {field}"), v, lines)?;
        }
    }
    if let Some(email) = patch
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let ok = email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !email.contains(char::is_whitespace)
        });
        if !ok {
            return Err(ApiError::invalid("the email address is not valid"));
        }
    }
    if let Some(phone) = patch
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return Err(ApiError::invalid(
                "the phone number may contain only digits, spaces and + - ( ) .",
            ));
        }
    }
    Ok(Json(
        state
            .store
            .patch_contact(id, &patch)
            .await?
            .ok_or_else(|| ApiError::not_found("contact"))?,
    ))
}

/// Every interaction with the contact, newest first (Contact History).
#[utoipa::path(get, path = "/api/contacts/{id}/interactions", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")),
    responses((status = 200, body = Vec<InteractionView>), (status = 404, body = wire::ErrorBody)))]
async fn history(
    State(state): State<AppState>,
    _auth: AgentAuth,
    PathParam(id): PathParam<ContactId>,
) -> Result<Json<Vec<InteractionView>>, ApiError> {
    state
        .store
        .contact(id)
        .await?
        .ok_or_else(|| ApiError::not_found("contact"))?;
    Ok(Json(state.store.contact_interactions(id).await?))
}

/// Conversation page parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct ConversationQuery {
    /// Messages before this seq (omit for the newest).
    pub before_seq: Option<i64>,
    /// Page size (default 100).
    pub limit: Option<u32>,
    /// Only public (`true`) or private (`false`) channels; omit for all.
    pub public: Option<bool>,
}

/// The contact's whole conversation, every interaction merged, newest back.
#[utoipa::path(get, path = "/api/contacts/{id}/conversation", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id"), ConversationQuery),
    responses((status = 200, body = ConversationPage), (status = 404, body = wire::ErrorBody)))]
async fn conversation(
    State(state): State<AppState>,
    _auth: AgentAuth,
    PathParam(id): PathParam<ContactId>,
    QueryParams(q): QueryParams<ConversationQuery>,
) -> Result<Json<ConversationPage>, ApiError> {
    state
        .store
        .contact(id)
        .await?
        .ok_or_else(|| ApiError::not_found("contact"))?;
    let filter = match q.public {
        None => ChannelFilter::All,
        Some(true) => ChannelFilter::Public,
        Some(false) => ChannelFilter::Private,
    };
    Ok(Json(
        state
            .store
            .conversation(id, q.before_seq, page_size(q.limit, 100)?, filter)
            .await?,
    ))
}

/// Writes into the contact's conversation; reactivates it when no chat is open. With
/// `reply_to` (one of the contact's comments, posts or Tweets) it is a public reply on that
/// item's channel; a reply longer than the platform takes is 422 `too_long_for_platform`.
#[utoipa::path(post, path = "/api/contacts/{id}/messages", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")), request_body = AgentSendRequest,
    responses((status = 200, body = SendResponse), (status = 400, body = wire::ErrorBody), (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody), (status = 413, body = wire::ErrorBody), (status = 422, body = wire::ErrorBody)))]
async fn send(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<ContactId>,
    JsonBody(req): JsonBody<AgentSendRequest>,
) -> Result<Json<SendResponse>, ApiError> {
    validate_message(&state, &req.client_id, &req.text, req.attachment_id)?;
    let stored = state
        .store
        .send_as_agent(
            auth.agent,
            id,
            req.client_id,
            req.text,
            crate::store::AgentSend {
                attachment: req.attachment_id,
                source: req.source,
                reply_to: req.reply_to,
            },
        )
        .await?;
    Ok(Json(SendResponse {
        message: stored.message,
        interaction: stored.interaction,
    }))
}

/// `Retry` on an agent's message to Messenger or X that failed: it waits to be sent again.
/// The agent who wrote it, or the agent in the contact's chat, may.
#[utoipa::path(post, path = "/api/messages/{id}/retry", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "message id")),
    responses((status = 200, body = MessageView), (status = 403, body = wire::ErrorBody),
        (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn retry_message(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<MessageId>,
) -> Result<Json<MessageView>, ApiError> {
    Ok(Json(state.store.retry_outbound(auth.agent, id).await?))
}

/// The `Chat` button: opens (or reactivates) a chat with the contact for this agent.
#[utoipa::path(post, path = "/api/contacts/{id}/chat", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")),
    responses((status = 200, body = InteractionView), (status = 404, body = wire::ErrorBody), (status = 409, body = wire::ErrorBody)))]
async fn chat(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<ContactId>,
) -> Result<Json<InteractionView>, ApiError> {
    Ok(Json(state.store.chat_with(auth.agent, id).await?))
}

/// The agent received or read the contact's messages up to a seq (clears unread marks).
#[utoipa::path(post, path = "/api/contacts/{id}/receipts", tag = "contacts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "contact id")), request_body = ReceiptRequest,
    responses((status = 204), (status = 404, body = wire::ErrorBody)))]
async fn receipts(
    State(state): State<AppState>,
    auth: AgentAuth,
    PathParam(id): PathParam<ContactId>,
    JsonBody(req): JsonBody<ReceiptRequest>,
) -> Result<StatusCode, ApiError> {
    if req.up_to_seq < 0 {
        return Err(ApiError::invalid("up_to_seq must not be negative"));
    }
    state
        .store
        .agent_receipt(auth.agent, id, req.up_to_seq, req.read)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Search parameters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct SearchQuery {
    /// Keywords (all must match).
    q: String,
    /// Only this contact's conversation.
    contact_id: Option<i64>,
    /// Only messages older than this id (paging).
    before_id: Option<i64>,
    /// Page size (default 50).
    limit: Option<u32>,
}

/// Messages containing keywords, newest first.
#[utoipa::path(get, path = "/api/search", tag = "contacts", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = SearchResults), (status = 400, body = wire::ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    _auth: AgentAuth,
    QueryParams(q): QueryParams<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    if q.q.trim().is_empty() || q.q.len() > 200 {
        return Err(ApiError::invalid("search for 1 to 200 characters"));
    }
    check_chars("the search", &q.q, Lines::One)?;
    let limit = page_size(q.limit, 50)?;
    Ok(Json(
        state
            .store
            .search(
                &q.q,
                q.contact_id.map(ContactId),
                q.before_id.map(MessageId),
                limit,
                ChannelFilter::All,
            )
            .await?,
    ))
}

/// The standard responses tree.
#[utoipa::path(get, path = "/api/responses", tag = "contacts", security(("bearer" = [])),
    responses((status = 200, body = ResponseTree)))]
async fn responses(
    State(state): State<AppState>,
    _auth: AgentAuth,
) -> Result<Json<ResponseTree>, ApiError> {
    Ok(Json(state.store.responses().await?))
}
