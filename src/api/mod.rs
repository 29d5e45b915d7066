//! The HTTP API client. A typestate keeps calls honest: an [`ApiClient<LoggedOut>`] can only
//! [`ApiClient::login`]; the [`ApiClient<LoggedIn>`] it returns holds the bearer token and
//! offers every other operation. Requests go to the page's own origin (the server serves the
//! desktop), with `Authorization: Bearer` and never a cookie, so the desktop works inside a
//! cross-origin iframe. Every request is a [`client::Call`]; its [`TransportError`] is rolled
//! up into the per-operation errors and [`ClientError`].
//!
//! # Layout
//! - `mod.rs`: the typestate client, one method per operation.
//! - `error.rs`: the per-operation error enums and [`ClientError`] that rolls them up.

mod error;

pub use client::TransportError;
pub use error::{ClientError, LoginError, MarkDoneError, SendError, UploadError};

use client::call::encode;
use client::Call;
use std::fmt::Write as _;
use std::marker::PhantomData;
use wire::api::{
    AgentSendRequest, Colleague, ContactPage, ConversationPage, DesktopConfig, HandleTimeSegment,
    LoginRequest, LoginResponse, MarkDoneRequest, MyWork, ReceiptRequest, ResponseTree,
    SearchResults, SendResponse, SetStatusRequest, TransferRequest, TypingRequest,
};
use wire::{
    AgentView, AttachmentView, ChatStatus, ContactId, ContactView, InteractionId, InteractionView,
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
        let answer: LoginResponse = Call::post("/api/auth/login").body(&body).json().await?;
        Ok((ApiClient::with_token(answer.token.clone()), answer))
    }

    /// `POST /api/auth/embed`: a portal's login token (received by `postMessage` from
    /// `portal_origin`) exchanged for a session, answered like a login.
    pub async fn embed_login(
        &self,
        token: &str,
        portal_origin: &str,
    ) -> Result<(ApiClient<LoggedIn>, LoginResponse), ClientError> {
        let body = wire::embed::EmbedLoginRequest {
            token: token.to_owned(),
            portal_origin: portal_origin.to_owned(),
        };
        let answer: LoginResponse = Call::post("/api/auth/embed").body(&body).json().await?;
        Ok((ApiClient::with_token(answer.token.clone()), answer))
    }

    /// `GET /api/embed/config`: the origins that may frame the desktop.
    pub async fn embed_config(&self) -> Result<wire::embed::EmbedConfig, ClientError> {
        Ok(Call::get("/api/embed/config").json().await?)
    }

    /// `GET /api/setup`: whether any account exists yet (first run).
    pub async fn setup(&self) -> Result<wire::accounts::SetupState, ClientError> {
        Ok(Call::get("/api/setup").json().await?)
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

    fn out(&self, method: &'static str, url: impl Into<String>) -> Call {
        Call::new(method, url).bearer(self.token.as_deref())
    }

    fn get(&self, url: impl Into<String>) -> Call {
        self.out("GET", url)
    }

    fn post(&self, url: impl Into<String>) -> Call {
        self.out("POST", url)
    }

    fn post_json<B: serde::Serialize>(&self, url: impl Into<String>, body: &B) -> Call {
        self.post(url).body(body)
    }

    /// `POST /api/auth/logout`: revokes the token, and gives back a logged-out client.
    pub async fn logout(self) -> (ApiClient<LoggedOut>, Result<(), ClientError>) {
        let result = self
            .post("/api/auth/logout")
            .done()
            .await
            .map_err(ClientError::from);
        (ApiClient::new(), result)
    }

    /// `GET /api/me`.
    pub async fn me(&self) -> Result<AgentView, ClientError> {
        Ok(self.get("/api/me").json().await?)
    }

    /// `PUT /api/me/status`.
    pub async fn set_status(&self, status: ChatStatus) -> Result<AgentView, ClientError> {
        let out = self
            .out("PUT", "/api/me/status")
            .body(&SetStatusRequest { status });
        Ok(out.json().await?)
    }

    /// `GET /api/config`.
    pub async fn config(&self) -> Result<DesktopConfig, ClientError> {
        Ok(self.get("/api/config").json().await?)
    }

    /// `GET /api/interactions`.
    pub async fn my_work(&self) -> Result<MyWork, ClientError> {
        Ok(self.get("/api/interactions").json().await?)
    }

    /// `POST /api/interactions/{id}/accept`.
    pub async fn accept(&self, id: InteractionId) -> Result<InteractionView, ClientError> {
        Ok(self
            .post(format!("/api/interactions/{id}/accept"))
            .json()
            .await?)
    }

    /// `POST /api/messages/{id}/retry`: a message the platform refused goes back in the
    /// outbox.
    pub async fn retry_message(
        &self,
        id: wire::MessageId,
    ) -> Result<wire::MessageView, ClientError> {
        Ok(self
            .post(format!("/api/messages/{id}/retry"))
            .json()
            .await?)
    }

    /// `POST /api/interactions/{id}/reject`.
    pub async fn reject(&self, id: InteractionId) -> Result<(), ClientError> {
        Ok(self
            .post(format!("/api/interactions/{id}/reject"))
            .done()
            .await?)
    }

    /// `POST /api/interactions/{id}/transfer`.
    pub async fn transfer(
        &self,
        id: InteractionId,
        body: &TransferRequest,
    ) -> Result<InteractionView, ClientError> {
        Ok(self
            .post_json(format!("/api/interactions/{id}/transfer"), body)
            .json()
            .await?)
    }

    /// `GET /api/agents`: the colleagues a chat can be transferred to.
    pub async fn colleagues(&self) -> Result<Vec<Colleague>, ClientError> {
        Ok(self.get("/api/agents").json().await?)
    }

    /// `POST /api/interactions/{id}/end`.
    pub async fn end(&self, id: InteractionId) -> Result<InteractionView, ClientError> {
        Ok(self
            .post(format!("/api/interactions/{id}/end"))
            .json()
            .await?)
    }

    /// `POST /api/interactions/{id}/done`.
    pub async fn mark_done(
        &self,
        id: InteractionId,
        body: &MarkDoneRequest,
    ) -> Result<InteractionView, MarkDoneError> {
        Ok(self
            .post_json(format!("/api/interactions/{id}/done"), body)
            .json()
            .await?)
    }

    /// `POST /api/interactions/{id}/handle-time`.
    pub async fn handle_time(
        &self,
        id: InteractionId,
        segment: &HandleTimeSegment,
        keepalive: bool,
    ) -> Result<(), ClientError> {
        let mut out = self.post_json(format!("/api/interactions/{id}/handle-time"), segment);
        if keepalive {
            out = out.keepalive();
        }
        Ok(out.done().await?)
    }

    /// `POST /api/interactions/{id}/typing`.
    pub async fn typing(&self, id: InteractionId, typing: bool) -> Result<(), ClientError> {
        let url = format!("/api/interactions/{id}/typing");
        Ok(self
            .post_json(url, &TypingRequest { typing })
            .done()
            .await?)
    }

    /// `GET /api/contacts`: one page (`cursor` from the page before).
    pub async fn contacts(
        &self,
        query: &str,
        public: bool,
        cursor: Option<&str>,
    ) -> Result<ContactPage, ClientError> {
        let mut url = format!(
            "/api/contacts?q={}&public={public}&limit=100",
            encode(query)
        );
        if let Some(c) = cursor {
            let _ = write!(url, "&cursor={}", encode(c));
        }
        Ok(self.get(url).json().await?)
    }

    /// `GET /api/contacts?q=`: the first few contacts whose name, email or messages have the
    /// words, on any channel (finding the contact to link to).
    pub async fn find_contacts(&self, query: &str) -> Result<ContactPage, ClientError> {
        let url = format!("/api/contacts?q={}&limit=8", encode(query));
        Ok(self.get(url).json().await?)
    }

    /// `POST /api/contacts/{id}/link`: `from` is the same person as `into`.
    pub async fn link_contact(
        &self,
        from: ContactId,
        into: ContactId,
    ) -> Result<ContactView, ClientError> {
        let url = format!("/api/contacts/{from}/link");
        Ok(self
            .post_json(url, &wire::api::LinkRequest { into })
            .json()
            .await?)
    }

    /// `POST /api/contacts/{id}/unlink`: the identity becomes a contact of its own.
    pub async fn unlink_identity(
        &self,
        contact: ContactId,
        identity: wire::Identity,
    ) -> Result<wire::api::UnlinkResult, ClientError> {
        let url = format!("/api/contacts/{contact}/unlink");
        Ok(self
            .post_json(url, &wire::api::UnlinkRequest { identity })
            .json()
            .await?)
    }

    /// `GET /api/contacts/{id}`.
    pub async fn contact(&self, id: ContactId) -> Result<ContactView, ClientError> {
        Ok(self.get(format!("/api/contacts/{id}")).json().await?)
    }

    /// `GET /api/contacts/by-customer/{customer_id}`: the contact the company knows by its own
    /// customer id.
    pub async fn contact_by_customer(&self, customer_id: &str) -> Result<ContactView, ClientError> {
        let url = format!("/api/contacts/by-customer/{}", encode(customer_id));
        Ok(self.get(url).json().await?)
    }

    /// `GET /api/contacts/{id}/interactions` (Contact History).
    pub async fn contact_history(
        &self,
        id: ContactId,
    ) -> Result<Vec<InteractionView>, ClientError> {
        Ok(self
            .get(format!("/api/contacts/{id}/interactions"))
            .json()
            .await?)
    }

    /// `GET /api/contacts/{id}/conversation`.
    pub async fn conversation(
        &self,
        id: ContactId,
        before_seq: Option<i64>,
        public: Option<bool>,
    ) -> Result<ConversationPage, ClientError> {
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
        Ok(self.get(url).json().await?)
    }

    /// `POST /api/contacts/{id}/messages`.
    pub async fn send(
        &self,
        contact: ContactId,
        body: &AgentSendRequest,
    ) -> Result<SendResponse, SendError> {
        let url = format!("/api/contacts/{contact}/messages");
        Ok(self.post_json(url, body).json().await?)
    }

    /// `POST /api/contacts/{id}/chat` (the `Chat` button).
    pub async fn chat(&self, contact: ContactId) -> Result<InteractionView, ClientError> {
        Ok(self
            .post(format!("/api/contacts/{contact}/chat"))
            .json()
            .await?)
    }

    /// `POST /api/contacts/{id}/receipts`.
    pub async fn receipts(
        &self,
        contact: ContactId,
        up_to_seq: i64,
        read: bool,
    ) -> Result<(), ClientError> {
        let url = format!("/api/contacts/{contact}/receipts");
        Ok(self
            .post_json(url, &ReceiptRequest { up_to_seq, read })
            .done()
            .await?)
    }

    /// `GET /api/search`.
    pub async fn search(
        &self,
        q: &str,
        contact: Option<ContactId>,
    ) -> Result<SearchResults, ClientError> {
        let mut url = format!("/api/search?q={}", encode(q));
        if let Some(c) = contact {
            let _ = write!(url, "&contact_id={c}");
        }
        Ok(self.get(url).json().await?)
    }

    /// `GET /api/responses`.
    pub async fn responses(&self) -> Result<ResponseTree, ClientError> {
        Ok(self.get("/api/responses").json().await?)
    }

    /// `POST /api/attachments` (multipart, field `file`).
    pub async fn upload(&self, file: &web_sys::File) -> Result<AttachmentView, UploadError> {
        let form = web_sys::FormData::new()
            .map_err(|e| UploadError::Failed(TransportError::Decode(format!("{e:?}"))))?;
        form.append_with_blob_and_filename("file", file, &file.name())
            .map_err(|e| UploadError::Failed(TransportError::Decode(format!("{e:?}"))))?;
        let out = self.post("/api/attachments").form(form);
        Ok(out.json().await?)
    }
}
