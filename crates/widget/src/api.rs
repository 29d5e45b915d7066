//! The visitor endpoints (`/api/visitor/*`, see `docs/api.md`), each one `client::Call`. The
//! frame is served by the API, so every path is relative to its own origin.

use crate::transcript::{Message, Page};
use client::{Call, TransportError};
use serde::Deserialize;
use web_sys::{File, FormData};
use wire::api::{
    ReceiptRequest, TypingRequest, VisitorSendRequest, VisitorSession, VisitorSessionRequest,
};
use wire::AttachmentId;

/// Messages per page of the conversation.
pub const PAGE: u32 = 50;

/// The sentence the panel shows for a failed request.
pub fn message(e: &TransportError) -> String {
    match e {
        TransportError::Network(_) => {
            "You seem to be offline: nothing was sent. Check your connection and try again."
                .to_owned()
        }
        TransportError::Server { body, .. } => body.error.message.clone(),
        TransportError::Decode(_) => "Something went wrong. Please try again.".to_owned(),
    }
}

/// Whether the visitor token is no longer valid (start over).
pub fn is_auth(e: &TransportError) -> bool {
    e.is_unauthorized() || e.is_forbidden()
}

/// A call with the visitor's token.
fn with_token(call: Call, token: &str) -> Call {
    call.bearer(Some(token))
}

/// `POST /api/visitor/session`: start or resume.
pub async fn session(request: &VisitorSessionRequest) -> Result<VisitorSession, TransportError> {
    Call::post("/api/visitor/session")
        .body(request)
        .json()
        .await
}

/// `GET /api/visitor/conversation`: the newest page, or the page before `before_seq`.
pub async fn conversation(token: &str, before_seq: Option<i64>) -> Result<Page, TransportError> {
    let path = match before_seq {
        Some(seq) => format!("/api/visitor/conversation?limit={PAGE}&before_seq={seq}"),
        None => format!("/api/visitor/conversation?limit={PAGE}"),
    };
    with_token(Call::get(path), token).json().await
}

/// `POST /api/visitor/messages`.
pub async fn send(token: &str, request: &VisitorSendRequest) -> Result<Message, TransportError> {
    with_token(Call::post("/api/visitor/messages"), token)
        .body(request)
        .json()
        .await
}

/// `POST /api/visitor/typing`.
pub async fn typing(token: &str, typing: bool) -> Result<(), TransportError> {
    with_token(Call::post("/api/visitor/typing"), token)
        .body(&TypingRequest { typing })
        .done()
        .await
}

/// `POST /api/visitor/receipts`.
pub async fn receipts(token: &str, request: ReceiptRequest) -> Result<(), TransportError> {
    with_token(Call::post("/api/visitor/receipts"), token)
        .body(&request)
        .done()
        .await
}

/// `POST /api/visitor/end`.
pub async fn end(token: &str) -> Result<(), TransportError> {
    with_token(Call::post("/api/visitor/end"), token)
        .done()
        .await
}

/// `POST /api/visitor/away`: the page is going away. Kept alive, so it is sent even as the
/// page ends.
pub async fn away(token: &str) -> Result<(), TransportError> {
    with_token(Call::post("/api/visitor/away"), token)
        .keepalive()
        .done()
        .await
}

/// The part of the `wire::AttachmentView` an upload answers with that the widget needs.
#[derive(Deserialize)]
pub struct Uploaded {
    /// The attachment's id, for the message.
    pub id: AttachmentId,
}

/// `POST /api/visitor/attachments`: uploads an image (multipart field `file`).
pub async fn upload(token: &str, file: &File) -> Result<Uploaded, TransportError> {
    let form = FormData::new().map_err(|_| TransportError::Network("no form".to_owned()))?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(|_| TransportError::Network("no form".to_owned()))?;
    with_token(Call::post("/api/visitor/attachments"), token)
        .form(form)
        .json()
        .await
}
