//! The one place requests are sent and answers read: a thin wrapper over the browser's
//! `fetch`. Everything up to the answer's text is one non-generic function; only the final
//! JSON decoding is per type.

use super::error::Failure;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wire::{ErrorBody, ErrorCode};

/// What a request carries.
pub(crate) enum Body {
    /// Nothing.
    Empty,
    /// JSON text.
    Json(String),
    /// A multipart form (uploads).
    Form(web_sys::FormData),
}

/// A request on its way.
pub(crate) struct Outgoing {
    method: &'static str,
    url: String,
    token: Option<String>,
    body: Body,
    keepalive: bool,
}

impl Outgoing {
    /// A request with no body.
    pub(crate) fn new(method: &'static str, url: impl Into<String>, token: Option<&str>) -> Self {
        Outgoing {
            method,
            url: url.into(),
            token: token.map(|t| format!("Bearer {t}")),
            body: Body::Empty,
            keepalive: false,
        }
    }

    /// Adds a JSON body.
    pub(crate) fn json<B: Serialize>(mut self, body: &B) -> Self {
        // Serialising the plain data types of `wire` into a string cannot fail.
        self.body = Body::Json(serde_json::to_string(body).unwrap_or_default());
        self
    }

    /// Adds a form body.
    pub(crate) fn form(mut self, form: web_sys::FormData) -> Self {
        self.body = Body::Form(form);
        self
    }

    /// Lets the request finish after the page is gone (handle time on page hide).
    pub(crate) fn keepalive(mut self) -> Self {
        self.keepalive = true;
        self
    }

    fn request(&self) -> Result<web_sys::Request, JsValue> {
        let init = web_sys::RequestInit::new();
        init.set_method(self.method);
        let headers = web_sys::Headers::new()?;
        if let Some(auth) = &self.token {
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
            // `keepalive` is not in web-sys's stable bindings; it is a plain dictionary field.
            js_sys::Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE)?;
        }
        web_sys::Request::new_with_str_and_init(&self.url, &init)
    }

    /// Sends, and gives the answer's text when the status is a success.
    async fn send(self) -> Result<String, Failure> {
        let window = web_sys::window().ok_or_else(|| Failure::Network(js_text(&JsValue::NULL)))?;
        let request = self.request().map_err(|e| Failure::Decode(js_text(&e)))?;
        let answer = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(|e| Failure::Network(js_text(&e)))?;
        let response: web_sys::Response = answer
            .dyn_into()
            .map_err(|e| Failure::Decode(js_text(&e)))?;
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .map_err(|e| Failure::Network(js_text(&e)))?
                .as_string()
                .unwrap_or_default(),
            Err(e) => return Err(Failure::Network(js_text(&e))),
        };
        if response.ok() {
            Ok(text)
        } else {
            Err(error_of(response.status(), &response.status_text(), &text))
        }
    }
}

fn js_text(value: &JsValue) -> String {
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| "no answer".to_owned())
}

fn error_of(status: u16, status_text: &str, text: &str) -> Failure {
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
    Failure::Server { status, body }
}

/// Sends and reads a JSON answer.
pub(crate) async fn fetch_json<T: DeserializeOwned>(out: Outgoing) -> Result<T, Failure> {
    let text = out.send().await?;
    serde_json::from_str(&text).map_err(|_| Failure::Decode(unreadable(&text)))
}

/// Says which answer could not be read (serde_json's own wording would add its message
/// formatting to the download for a case that only a version mismatch can cause).
pub(crate) fn unreadable(text: &str) -> String {
    let start: String = text.chars().take(60).collect();
    format!("unexpected answer {start}…")
}

/// Sends and expects no body back.
pub(crate) async fn fetch_empty(out: Outgoing) -> Result<(), Failure> {
    out.send().await.map(|_| ())
}

/// Percent-encodes a query parameter value.
pub(crate) fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
