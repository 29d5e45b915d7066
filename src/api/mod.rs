//! The HTTP API client. A typestate keeps calls honest: an [`ApiClient<LoggedOut>`] can only
//! [`ApiClient::login`]; the [`ApiClient<LoggedIn>`] it returns holds the bearer token and
//! offers every other operation. Requests go to the page's own origin (the server serves the
//! desktop), with `Authorization: Bearer` and never a cookie, so the desktop works inside a
//! cross-origin iframe.

mod error;
mod http;

pub use error::{ApiError, Failure, LoginError, MarkDoneError, SendError, UploadError};
pub(crate) use http::unreadable;

use http::{encode, fetch_empty, fetch_json, Outgoing};
use std::fmt::Write as _;
use std::marker::PhantomData;
use wire::api::{
    AgentSendRequest, ContactPage, ConversationPage, DesktopConfig, HandleTimeSegment,
    LoginRequest, LoginResponse, MarkDoneRequest, MyWork, ReceiptRequest, ResponseTree,
    SearchResults, SendResponse, SetStatusRequest, StreamTicket, TypingRequest,
};
use wire::{
    AgentView, AttachmentView, ChatStatus, ContactId, ContactView, EventId, InteractionId,
    InteractionView,
};

/// Not logged in: only [`ApiClient::login`] is possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedOut;

/// Logged in: the client holds a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedIn;

/// The client. `S` is [`LoggedOut`] or [`LoggedIn`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient<S> {
    token: Option<String>,
    state: PhantomData<S>,
}

impl Default for ApiClient<LoggedOut> {
    fn default() -> Self {
        Self::new()
    }
}

impl ApiClient<LoggedOut> {
    /// A client with no credentials.
    pub fn new() -> Self {
        ApiClient {
            token: None,
            state: PhantomData,
        }
    }

    /// `POST /api/auth/login`.
    pub async fn login(
        &self,
        login: &str,
        password: &str,
    ) -> Result<(ApiClient<LoggedIn>, LoginResponse), LoginError> {
        let body = LoginRequest {
            login: login.to_owned(),
            password: password.to_owned(),
        };
        let answer: LoginResponse =
            fetch_json(Outgoing::new("POST", "/api/auth/login", None).json(&body)).await?;
        Ok((ApiClient::with_token(answer.token.clone()), answer))
    }
}

impl ApiClient<LoggedIn> {
    /// A client for a token kept from an earlier login (it may have expired: the first call
    /// says so with an `unauthorized` error).
    pub fn with_token(token: String) -> Self {
        ApiClient {
            token: Some(token),
            state: PhantomData,
        }
    }

    /// The bearer token (to keep it in session storage).
    pub fn token(&self) -> &str {
        self.token.as_deref().unwrap_or_default()
    }

    fn out(&self, method: &'static str, url: impl Into<String>) -> Outgoing {
        Outgoing::new(method, url, self.token.as_deref())
    }

    fn get(&self, url: impl Into<String>) -> Outgoing {
        self.out("GET", url)
    }

    fn post(&self, url: impl Into<String>) -> Outgoing {
        self.out("POST", url)
    }

    fn post_json<B: serde::Serialize>(&self, url: impl Into<String>, body: &B) -> Outgoing {
        self.post(url).json(body)
    }

    /// `POST /api/auth/logout`: revokes the token, and gives back a logged-out client.
    pub async fn logout(self) -> (ApiClient<LoggedOut>, Result<(), ApiError>) {
        let result = fetch_empty(self.post("/api/auth/logout"))
            .await
            .map_err(ApiError::from);
        (ApiClient::new(), result)
    }

    /// `GET /api/me`.
    pub async fn me(&self) -> Result<AgentView, ApiError> {
        Ok(fetch_json(self.get("/api/me")).await?)
    }

    /// `PUT /api/me/status`.
    pub async fn set_status(&self, status: ChatStatus) -> Result<AgentView, ApiError> {
        let out = self
            .out("PUT", "/api/me/status")
            .json(&SetStatusRequest { status });
        Ok(fetch_json(out).await?)
    }

    /// `GET /api/config`.
    pub async fn config(&self) -> Result<DesktopConfig, ApiError> {
        Ok(fetch_json(self.get("/api/config")).await?)
    }

    /// `POST /api/events/ticket`.
    pub async fn event_ticket(&self) -> Result<StreamTicket, ApiError> {
        Ok(fetch_json(self.post("/api/events/ticket")).await?)
    }

    /// The URL of the event stream for a ticket.
    pub fn event_stream_url(ticket: &str, last_event_id: EventId) -> String {
        format!(
            "/api/events?ticket={}&last_event_id={last_event_id}",
            encode(ticket)
        )
    }

    /// `GET /api/interactions`.
    pub async fn my_work(&self) -> Result<MyWork, ApiError> {
        Ok(fetch_json(self.get("/api/interactions")).await?)
    }

    /// `POST /api/interactions/{id}/accept`.
    pub async fn accept(&self, id: InteractionId) -> Result<InteractionView, ApiError> {
        Ok(fetch_json(self.post(format!("/api/interactions/{id}/accept"))).await?)
    }

    /// `POST /api/interactions/{id}/reject`.
    pub async fn reject(&self, id: InteractionId) -> Result<(), ApiError> {
        Ok(fetch_empty(self.post(format!("/api/interactions/{id}/reject"))).await?)
    }

    /// `POST /api/interactions/{id}/end`.
    pub async fn end(&self, id: InteractionId) -> Result<InteractionView, ApiError> {
        Ok(fetch_json(self.post(format!("/api/interactions/{id}/end"))).await?)
    }

    /// `POST /api/interactions/{id}/done`.
    pub async fn mark_done(
        &self,
        id: InteractionId,
        body: &MarkDoneRequest,
    ) -> Result<InteractionView, MarkDoneError> {
        Ok(fetch_json(self.post_json(format!("/api/interactions/{id}/done"), body)).await?)
    }

    /// `POST /api/interactions/{id}/handle-time`.
    pub async fn handle_time(
        &self,
        id: InteractionId,
        segment: &HandleTimeSegment,
        keepalive: bool,
    ) -> Result<(), ApiError> {
        let mut out = self.post_json(format!("/api/interactions/{id}/handle-time"), segment);
        if keepalive {
            out = out.keepalive();
        }
        Ok(fetch_empty(out).await?)
    }

    /// `POST /api/interactions/{id}/typing`.
    pub async fn typing(&self, id: InteractionId, typing: bool) -> Result<(), ApiError> {
        let url = format!("/api/interactions/{id}/typing");
        Ok(fetch_empty(self.post_json(url, &TypingRequest { typing })).await?)
    }

    /// `GET /api/contacts`: one page (`cursor` from the page before).
    pub async fn contacts(
        &self,
        query: &str,
        public: bool,
        cursor: Option<&str>,
    ) -> Result<ContactPage, ApiError> {
        let mut url = format!(
            "/api/contacts?q={}&public={public}&limit=100",
            encode(query)
        );
        if let Some(c) = cursor {
            let _ = write!(url, "&cursor={}", encode(c));
        }
        Ok(fetch_json(self.get(url)).await?)
    }

    /// `GET /api/contacts/{id}`.
    pub async fn contact(&self, id: ContactId) -> Result<ContactView, ApiError> {
        Ok(fetch_json(self.get(format!("/api/contacts/{id}"))).await?)
    }

    /// `GET /api/contacts/{id}/interactions` (Contact History).
    pub async fn contact_history(&self, id: ContactId) -> Result<Vec<InteractionView>, ApiError> {
        Ok(fetch_json(self.get(format!("/api/contacts/{id}/interactions"))).await?)
    }

    /// `GET /api/contacts/{id}/conversation`.
    pub async fn conversation(
        &self,
        id: ContactId,
        before_seq: Option<i64>,
        public: Option<bool>,
    ) -> Result<ConversationPage, ApiError> {
        let mut url = format!(
            "/api/contacts/{id}/conversation?limit={}",
            wire::limits::MAX_PAGE
        );
        if let Some(seq) = before_seq {
            let _ = write!(url, "&before_seq={seq}");
        }
        if let Some(public) = public {
            let _ = write!(url, "&public={public}");
        }
        Ok(fetch_json(self.get(url)).await?)
    }

    /// `POST /api/contacts/{id}/messages`.
    pub async fn send(
        &self,
        contact: ContactId,
        body: &AgentSendRequest,
    ) -> Result<SendResponse, SendError> {
        let url = format!("/api/contacts/{contact}/messages");
        Ok(fetch_json(self.post_json(url, body)).await?)
    }

    /// `POST /api/contacts/{id}/chat` (the `Chat` button).
    pub async fn chat(&self, contact: ContactId) -> Result<InteractionView, ApiError> {
        Ok(fetch_json(self.post(format!("/api/contacts/{contact}/chat"))).await?)
    }

    /// `POST /api/contacts/{id}/receipts`.
    pub async fn receipts(
        &self,
        contact: ContactId,
        up_to_seq: i64,
        read: bool,
    ) -> Result<(), ApiError> {
        let url = format!("/api/contacts/{contact}/receipts");
        Ok(fetch_empty(self.post_json(url, &ReceiptRequest { up_to_seq, read })).await?)
    }

    /// `GET /api/search`.
    pub async fn search(
        &self,
        q: &str,
        contact: Option<ContactId>,
    ) -> Result<SearchResults, ApiError> {
        let mut url = format!("/api/search?q={}", encode(q));
        if let Some(c) = contact {
            let _ = write!(url, "&contact_id={c}");
        }
        Ok(fetch_json(self.get(url)).await?)
    }

    /// `GET /api/responses`.
    pub async fn responses(&self) -> Result<ResponseTree, ApiError> {
        Ok(fetch_json(self.get("/api/responses")).await?)
    }

    /// `POST /api/attachments` (multipart, field `file`).
    pub async fn upload(&self, file: &web_sys::File) -> Result<AttachmentView, UploadError> {
        let form = web_sys::FormData::new()
            .map_err(|e| UploadError::Failed(Failure::Decode(format!("{e:?}"))))?;
        form.append_with_blob_and_filename("file", file, &file.name())
            .map_err(|e| UploadError::Failed(Failure::Decode(format!("{e:?}"))))?;
        let out = self.post("/api/attachments").form(form);
        Ok(fetch_json(out).await?)
    }
}
