//! The HTTP client for the visitor endpoints (`/api/visitor/*`, see `docs/api.md`). The frame
//! is served by the API, so every path is relative to its own origin.

use crate::transcript::Message;
use crate::transcript::Page;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, FormData, Headers, Request, RequestInit, Response};
use wire::api::{
    ReceiptRequest, StreamTicket, TypingRequest, VisitorSendRequest, VisitorSession,
    VisitorSessionRequest,
};
use wire::{AttachmentId, ErrorBody, ErrorCode};

/// Messages per page of the conversation.
pub const PAGE: u32 = 50;

/// Why a request failed.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// No answer: the visitor is offline or the server is unreachable.
    Network,
    /// The server refused, with its error body.
    Refused {
        /// The HTTP status.
        status: u16,
        /// What it said.
        body: ErrorBody,
    },
    /// An answer that is not what the API sends.
    Unexpected(u16),
}

impl ApiError {
    /// The sentence the panel shows.
    pub fn message(&self) -> String {
        match self {
            ApiError::Network => {
                "You seem to be offline: nothing was sent. Check your connection and try again."
                    .to_owned()
            }
            ApiError::Refused { body, .. } => body.error.message.clone(),
            ApiError::Unexpected(status) => {
                format!("Something went wrong (error {status}). Please try again.")
            }
        }
    }

    /// Whether the server refused the identity the company page gave (forged or expired).
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            ApiError::Refused { status, body }
                if *status == 403 || body.error.code == ErrorCode::Forbidden
        )
    }

    /// Whether the visitor token is no longer valid (start over).
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            ApiError::Refused { status, body }
                if *status == 401
                    || matches!(body.error.code, ErrorCode::Unauthorized | ErrorCode::Forbidden)
        )
    }
}

/// A request body.
enum Body<'a> {
    /// No body.
    Empty,
    /// JSON text.
    Json(String),
    /// A multipart form.
    Form(&'a FormData),
}

/// A boxed future: the request code exists once in the bundle instead of once per answer type.
type Call<'a> = Pin<Box<dyn Future<Output = Result<String, ApiError>> + 'a>>;

/// Sends one request and reads the answer's text; a non-2xx answer becomes an [`ApiError`].
fn call<'a>(method: &'a str, path: &'a str, token: Option<&'a str>, body: Body<'a>) -> Call<'a> {
    Box::pin(async move {
        let init = RequestInit::new();
        init.set_method(method);
        let headers = Headers::new().map_err(|_| ApiError::Network)?;
        if let Some(token) = token {
            headers
                .set("Authorization", &format!("Bearer {token}"))
                .map_err(|_| ApiError::Network)?;
        }
        match body {
            Body::Empty => {}
            Body::Json(text) => {
                headers
                    .set("Content-Type", "application/json")
                    .map_err(|_| ApiError::Network)?;
                init.set_body(&JsValue::from_str(&text));
            }
            Body::Form(form) => init.set_body(form),
        }
        init.set_headers(&headers);
        let request = Request::new_with_str_and_init(path, &init).map_err(|_| ApiError::Network)?;
        let window = web_sys::window().ok_or(ApiError::Network)?;
        let response: Response = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(|_| ApiError::Network)?
            .dyn_into()
            .map_err(|_| ApiError::Network)?;
        let status = response.status();
        let promise = response.text().map_err(|_| ApiError::Network)?;
        let text = JsFuture::from(promise)
            .await
            .map_err(|_| ApiError::Network)?
            .as_string()
            .unwrap_or_default();
        if response.ok() {
            return Ok(text);
        }
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => ApiError::Refused { status, body },
            Err(_) => ApiError::Unexpected(status),
        })
    })
}

/// Sends a request and decodes its JSON answer.
async fn json<T: DeserializeOwned>(
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Body<'_>,
) -> Result<T, ApiError> {
    let text = call(method, path, token, body).await?;
    serde_json::from_str(&text).map_err(|_| ApiError::Unexpected(200))
}

/// Serializes a request body.
fn body<T: serde::Serialize>(value: &T) -> Body<'static> {
    Body::Json(serde_json::to_string(value).unwrap_or_default())
}

/// `POST /api/visitor/session`: start or resume.
pub async fn session(request: &VisitorSessionRequest) -> Result<VisitorSession, ApiError> {
    json("POST", "/api/visitor/session", None, body(request)).await
}

/// `GET /api/visitor/conversation`: the newest page, or the page before `before_seq`.
pub async fn conversation(token: &str, before_seq: Option<i64>) -> Result<Page, ApiError> {
    let path = match before_seq {
        Some(seq) => format!("/api/visitor/conversation?limit={PAGE}&before_seq={seq}"),
        None => format!("/api/visitor/conversation?limit={PAGE}"),
    };
    json("GET", &path, Some(token), Body::Empty).await
}

/// `POST /api/visitor/messages`.
pub async fn send(token: &str, request: &VisitorSendRequest) -> Result<Message, ApiError> {
    json("POST", "/api/visitor/messages", Some(token), body(request)).await
}

/// `POST /api/visitor/typing`.
pub async fn typing(token: &str, typing: bool) -> Result<(), ApiError> {
    call(
        "POST",
        "/api/visitor/typing",
        Some(token),
        body(&TypingRequest { typing }),
    )
    .await
    .map(drop)
}

/// `POST /api/visitor/receipts`.
pub async fn receipts(token: &str, request: ReceiptRequest) -> Result<(), ApiError> {
    call("POST", "/api/visitor/receipts", Some(token), body(&request))
        .await
        .map(drop)
}

/// `POST /api/visitor/end`.
pub async fn end(token: &str) -> Result<(), ApiError> {
    call("POST", "/api/visitor/end", Some(token), Body::Empty)
        .await
        .map(drop)
}

/// The part of the `wire::AttachmentView` an upload answers with that the widget needs.
#[derive(Deserialize)]
pub struct Uploaded {
    /// The attachment's id, for the message.
    pub id: AttachmentId,
}

/// `POST /api/visitor/attachments`: uploads an image (multipart field `file`).
pub async fn upload(token: &str, file: &File) -> Result<Uploaded, ApiError> {
    let form = FormData::new().map_err(|_| ApiError::Network)?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(|_| ApiError::Network)?;
    json(
        "POST",
        "/api/visitor/attachments",
        Some(token),
        Body::Form(&form),
    )
    .await
}

/// `POST /api/visitor/events/ticket`.
pub async fn ticket(token: &str) -> Result<StreamTicket, ApiError> {
    json(
        "POST",
        "/api/visitor/events/ticket",
        Some(token),
        Body::Empty,
    )
    .await
}
