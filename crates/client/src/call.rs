//! One JSON HTTP request to the API, and what can go wrong with it. Requests go to the page's
//! own origin with `Authorization: Bearer` (never a cookie), so both clients work inside a
//! cross-origin iframe. Everything up to the answer's text is one non-generic function; only the
//! final JSON decoding is per type, which keeps the bundles small.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};
use wire::{ErrorBody, ErrorCode};

/// Why a request did not give the answer hoped for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The request never got an answer (offline, server down, CORS).
    Network(String),
    /// The server answered with an error status; `body` is its error body (or, when the answer
    /// was not one, a body made from the status).
    Server {
        /// The HTTP status.
        status: u16,
        /// What the server said.
        body: ErrorBody,
    },
    /// A successful answer that this client cannot read (a version mismatch).
    Decode(String),
}

impl TransportError {
    /// The server's error code, if the server answered.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            TransportError::Server { body, .. } => Some(body.error.code),
            TransportError::Network(_) | TransportError::Decode(_) => None,
        }
    }

    /// The HTTP status, if the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            TransportError::Server { status, .. } => Some(*status),
            TransportError::Network(_) | TransportError::Decode(_) => None,
        }
    }

    /// Whether trying the same request again may work (no answer, or a 5xx / 429).
    pub fn is_transient(&self) -> bool {
        match self {
            TransportError::Network(_) => true,
            TransportError::Server { status, .. } => *status >= 500 || *status == 429,
            TransportError::Decode(_) => false,
        }
    }

    /// Whether the credentials are no longer valid (401, or an `unauthorized` body).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401) || self.code() == Some(ErrorCode::Unauthorized)
    }

    /// Whether the server refused who the caller is (403, or a `forbidden` body).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403) || self.code() == Some(ErrorCode::Forbidden)
    }

    /// Whether the server refused the request itself (a 4xx other than 429): sending the same
    /// thing again will not help.
    pub fn is_refusal(&self) -> bool {
        matches!(self, TransportError::Server { status, .. }
            if (400..500).contains(status) && *status != 429)
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The browser's own words ("TypeError: Failed to fetch") and the decoder's are for
            // the developer (`Debug`), not for the person reading the message.
            TransportError::Network(_) => {
                f.write_str("The server cannot be reached. Check the connection and try again.")
            }
            TransportError::Server { body, .. } => f.write_str(&body.error.message),
            TransportError::Decode(_) => {
                f.write_str("An answer from the server could not be read. Reload the page.")
            }
        }
    }
}

impl std::error::Error for TransportError {}

/// What a request carries.
enum Body {
    /// Nothing.
    Empty,
    /// JSON text.
    Json(String),
    /// A multipart form (uploads).
    Form(web_sys::FormData),
}

/// One request on its way: built with the methods below, then sent with [`Call::json`],
/// [`Call::text`] or [`Call::done`].
pub struct Call {
    /// `GET`, `POST`, `PUT`, ...
    method: &'static str,
    /// The path (the page's own origin).
    url: String,
    /// The `Authorization` header's value, if any.
    auth: Option<String>,
    /// The body.
    body: Body,
    /// Whether the request may outlive the page (handle time sent on page hide).
    keepalive: bool,
}

impl Call {
    /// A request with no body and no credentials.
    pub fn new(method: &'static str, url: impl Into<String>) -> Self {
        Call {
            method,
            url: url.into(),
            auth: None,
            body: Body::Empty,
            keepalive: false,
        }
    }

    /// A `GET`.
    pub fn get(url: impl Into<String>) -> Self {
        Call::new("GET", url)
    }

    /// A `POST`.
    pub fn post(url: impl Into<String>) -> Self {
        Call::new("POST", url)
    }

    /// Adds `Authorization: Bearer <token>` (nothing when `token` is `None`).
    #[must_use]
    pub fn bearer(mut self, token: Option<&str>) -> Self {
        self.auth = token.map(|t| format!("Bearer {t}"));
        self
    }

    /// Adds a JSON body.
    #[must_use]
    pub fn body<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        // Serialising the plain data types of `wire` into a string cannot fail.
        self.body = Body::Json(serde_json::to_string(body).unwrap_or_default());
        self
    }

    /// Adds a form body.
    #[must_use]
    pub fn form(mut self, form: web_sys::FormData) -> Self {
        self.body = Body::Form(form);
        self
    }

    /// Lets the request finish after the page is gone.
    #[must_use]
    pub fn keepalive(mut self) -> Self {
        self.keepalive = true;
        self
    }

    /// The browser request.
    fn request(&self) -> Result<web_sys::Request, JsValue> {
        let init = web_sys::RequestInit::new();
        init.set_method(self.method);
        let headers = web_sys::Headers::new()?;
        if let Some(auth) = &self.auth {
            headers.append("Authorization", auth)?;
        }
        match &self.body {
            Body::Empty => {}
            Body::Json(text) => {
                headers.append("Content-Type", "application/json")?;
                init.set_body(&JsValue::from_str(text));
            }
            Body::Form(form) => init.set_body(form),
        }
        init.set_headers(&headers);
        if self.keepalive {
            // `keepalive` is a plain dictionary field of `RequestInit`.
            js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE)?;
        }
        web_sys::Request::new_with_str_and_init(&self.url, &init)
    }

    /// Sends, and gives the answer's text when the status is a success.
    pub async fn text(self) -> Result<String, TransportError> {
        let request = self
            .request()
            .map_err(|e| TransportError::Network(js_text(&e)))?;
        let response = gloo_net::http::Request::from(request)
            .send()
            .await
            .map_err(|e| TransportError::Network(e.to_string()))?;
        let text = response
            .text()
            .await
            .map_err(|e| TransportError::Network(e.to_string()))?;
        if response.ok() {
            Ok(text)
        } else {
            Err(error_of(response.status(), &response.status_text(), &text))
        }
    }

    /// Sends and reads a JSON answer.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, TransportError> {
        let text = self.text().await?;
        serde_json::from_str(&text).map_err(|_| TransportError::Decode(unreadable(&text)))
    }

    /// Sends and expects no body back.
    pub async fn done(self) -> Result<(), TransportError> {
        self.text().await.map(drop)
    }
}

/// A JavaScript error's message.
fn js_text(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "no answer".to_owned())
}

/// The error for a non-2xx answer: the server's error body, or one made from the status.
pub fn error_of(status: u16, status_text: &str, text: &str) -> TransportError {
    let body = serde_json::from_str::<ErrorBody>(text).unwrap_or_else(|_| {
        let code = match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::TooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::Unprocessable,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Unavailable,
            s if s >= 500 => ErrorCode::Internal,
            _ => ErrorCode::InvalidInput,
        };
        ErrorBody::new(code, format!("The server answered {status} {status_text}."))
    });
    TransportError::Server { status, body }
}

/// Says which answer could not be read (serde_json's own wording would add its message
/// formatting to the bundles for a case that only a version mismatch can cause).
pub fn unreadable(text: &str) -> String {
    let start: String = text.chars().take(60).collect();
    format!("unexpected answer {start}…")
}

/// Percent-encodes a query parameter value.
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_kept_and_bare_statuses_get_one() {
        let body = ErrorBody::new(ErrorCode::Conflict, "already done");
        let text = serde_json::to_string(&body).unwrap_or_default();
        let e = error_of(409, "Conflict", &text);
        assert_eq!(e.code(), Some(ErrorCode::Conflict));
        assert_eq!(e.to_string(), "already done");
        assert!(e.is_refusal() && !e.is_transient());
        let e = error_of(502, "Bad Gateway", "<html>");
        assert_eq!(e.code(), Some(ErrorCode::Internal));
        assert!(e.is_transient() && !e.is_refusal());
        assert!(error_of(401, "", "").is_unauthorized());
        assert!(error_of(403, "", "").is_forbidden());
    }
}
