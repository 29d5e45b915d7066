//! The one place requests are sent and answers read.

use super::error::Failure;
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wire::{ErrorBody, ErrorCode};

/// A request on its way: a builder, or a builder already given its body.
pub(crate) enum Outgoing {
    /// No body.
    Empty(RequestBuilder),
    /// A JSON body.
    Ready(Result<Request, gloo_net::Error>),
}

impl Outgoing {
    /// Adds a JSON body.
    pub(crate) fn json<B: Serialize>(builder: RequestBuilder, body: &B) -> Self {
        Outgoing::Ready(builder.json(body))
    }

    async fn send(self) -> Result<Response, Failure> {
        let sent = match self {
            Outgoing::Empty(b) => b.send().await,
            Outgoing::Ready(Ok(r)) => r.send().await,
            Outgoing::Ready(Err(e)) => return Err(Failure::Decode(e.to_string())),
        };
        let response = sent.map_err(|e| Failure::Network(e.to_string()))?;
        if response.ok() {
            Ok(response)
        } else {
            Err(error_of(&response).await)
        }
    }
}

async fn error_of(response: &Response) -> Failure {
    let status = response.status();
    let body = if let Ok(body) = response.json::<ErrorBody>().await {
        body
    } else {
        {
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
            ErrorBody::new(
                code,
                format!("The server answered {status} {}.", response.status_text()),
            )
        }
    };
    Failure::Server { status, body }
}

/// Sends and reads a JSON answer.
pub(crate) async fn fetch_json<T: DeserializeOwned>(out: Outgoing) -> Result<T, Failure> {
    let response = out.send().await?;
    response
        .json::<T>()
        .await
        .map_err(|e| Failure::Decode(e.to_string()))
}

/// Sends and expects no body back.
pub(crate) async fn fetch_empty(out: Outgoing) -> Result<(), Failure> {
    out.send().await.map(|_| ())
}

/// Percent-encodes a query parameter value.
pub(crate) fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
