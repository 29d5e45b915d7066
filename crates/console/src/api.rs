//! The console's API operations. Every request is a [`client::Call`] with the bearer token;
//! failures are [`TransportError`]s (status and the server's `{error: {code, message}}`).

use crate::reports::Query;
use client::{Call, TransportError};
use wire::api::{DesktopConfig, LoginRequest, LoginResponse, TransferRequest};
use wire::board::Board;
use wire::monitor::{Monitor, MonitorView};
use wire::reports::Report;
use wire::{AgentId, AgentView, InteractionId, ReasonCode};

/// A logged-in caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    /// The bearer token.
    token: String,
}

/// `POST /api/auth/login`.
pub async fn login(login: &str, password: &str) -> Result<LoginResponse, TransportError> {
    let body = LoginRequest {
        login: login.to_owned(),
        password: password.to_owned(),
    };
    Call::post("/api/auth/login").body(&body).json().await
}

impl Api {
    /// A caller with a token (kept from a login; the first call says if it has expired).
    pub fn new(token: String) -> Self {
        Api { token }
    }

    /// The bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    fn get(&self, url: &str) -> Call {
        Call::get(url).bearer(Some(&self.token))
    }

    /// `GET /api/me`.
    pub async fn me(&self) -> Result<AgentView, TransportError> {
        self.get("/api/me").json().await
    }

    /// `POST /api/auth/logout`.
    pub async fn logout(&self) -> Result<(), TransportError> {
        Call::post("/api/auth/logout")
            .bearer(Some(&self.token))
            .done()
            .await
    }

    /// `GET /api/config` (the Not Ready reasons).
    pub async fn config(&self) -> Result<DesktopConfig, TransportError> {
        self.get("/api/config").json().await
    }

    /// `GET /api/supervisor/board`.
    pub async fn board(&self) -> Result<Board, TransportError> {
        self.get("/api/supervisor/board").json().await
    }

    /// `POST /api/interactions/{id}/transfer`: a supervisor's reassign.
    pub async fn transfer(
        &self,
        id: InteractionId,
        request: &TransferRequest,
    ) -> Result<(), TransportError> {
        Call::post(format!("/api/interactions/{id}/transfer"))
            .bearer(Some(&self.token))
            .body(request)
            .done()
            .await
    }

    /// `GET /api/supervisor/interactions/{id}`: a chat for the monitor view.
    pub async fn monitored(&self, id: InteractionId) -> Result<MonitorView, TransportError> {
        self.get(&format!("/api/supervisor/interactions/{id}"))
            .json()
            .await
    }

    /// `POST /api/supervisor/interactions/{id}/monitor`.
    pub async fn start_monitor(&self, id: InteractionId) -> Result<Monitor, TransportError> {
        Call::post(format!("/api/supervisor/interactions/{id}/monitor"))
            .bearer(Some(&self.token))
            .json()
            .await
    }

    /// `DELETE /api/supervisor/interactions/{id}/monitor`.
    pub async fn stop_monitor(&self, id: InteractionId) -> Result<(), TransportError> {
        Call::new(
            "DELETE",
            format!("/api/supervisor/interactions/{id}/monitor"),
        )
        .bearer(Some(&self.token))
        .done()
        .await
    }

    /// `GET /api/reports?…`.
    pub async fn report(&self, query: &Query) -> Result<Report, TransportError> {
        self.get(&format!("/api/reports?{}", query.params))
            .json()
            .await
    }

    /// `GET /api/reports.csv?…`: the same report as CSV text.
    pub async fn report_csv(&self, query: &Query) -> Result<String, TransportError> {
        self.get(&format!("/api/reports.csv?{}", query.params))
            .text()
            .await
    }

    /// `PUT /api/supervisor/agents/{id}/status`: Not Ready with `reason`.
    pub async fn set_not_ready(
        &self,
        agent: AgentId,
        reason: &ReasonCode,
    ) -> Result<AgentView, TransportError> {
        let body = serde_json::json!({"status": {"state": "not_ready", "reason": reason}});
        Call::new("PUT", format!("/api/supervisor/agents/{agent}/status"))
            .bearer(Some(&self.token))
            .body(&body)
            .json()
            .await
    }

    /// `POST /api/supervisor/agents/{id}/logout`.
    pub async fn log_out_agent(&self, agent: AgentId) -> Result<(), TransportError> {
        Call::post(format!("/api/supervisor/agents/{agent}/logout"))
            .bearer(Some(&self.token))
            .done()
            .await
    }
}
