//! The administrators' API operations (`/api/admin/…`): accounts, the audit log and the
//! per-channel settings. Kept beside
//! `api.rs` (same [`Api`] caller) so each administration screen's calls sit in one place.

use crate::api::Api;
use client::call::encode;
use client::{Call, TransportError};
use wire::accounts::{
    AccountChange, AccountList, AccountView, AuditPage, NewAccount, PasswordReset,
};
use wire::channels::{ChannelSettings, ChannelSettingsList};
use wire::AgentId;

impl Api {
    fn admin(&self, method: &'static str, url: String) -> Call {
        Call::new(method, url).bearer(Some(self.token()))
    }

    /// `GET /api/admin/agents`.
    pub async fn accounts(&self) -> Result<AccountList, TransportError> {
        self.admin("GET", "/api/admin/agents".to_owned())
            .json()
            .await
    }

    /// `POST /api/admin/agents`.
    pub async fn create_account(&self, new: &NewAccount) -> Result<AccountView, TransportError> {
        self.admin("POST", "/api/admin/agents".to_owned())
            .body(new)
            .json()
            .await
    }

    /// `PATCH /api/admin/agents/{id}`.
    pub async fn change_account(
        &self,
        id: AgentId,
        change: &AccountChange,
    ) -> Result<AccountView, TransportError> {
        self.admin("PATCH", format!("/api/admin/agents/{id}"))
            .body(change)
            .json()
            .await
    }

    /// `POST /api/admin/agents/{id}/deactivate` (or `reactivate` when `active`).
    pub async fn set_account_active(
        &self,
        id: AgentId,
        active: bool,
    ) -> Result<AccountView, TransportError> {
        let verb = if active { "reactivate" } else { "deactivate" };
        self.admin("POST", format!("/api/admin/agents/{id}/{verb}"))
            .json()
            .await
    }

    /// `POST /api/admin/agents/{id}/password`.
    pub async fn reset_account_password(
        &self,
        id: AgentId,
        password: String,
    ) -> Result<AccountView, TransportError> {
        self.admin("POST", format!("/api/admin/agents/{id}/password"))
            .body(&PasswordReset { password })
            .json()
            .await
    }

    /// `GET /api/admin/audit?…`: `filters` are `(name, value)` pairs, sent encoded.
    pub async fn audit(&self, filters: &[(&str, String)]) -> Result<AuditPage, TransportError> {
        let query: Vec<String> = filters
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        self.admin("GET", format!("/api/admin/audit?{}", query.join("&")))
            .json()
            .await
    }

    /// `GET /api/admin/channels`.
    pub async fn channel_settings(&self) -> Result<ChannelSettingsList, TransportError> {
        self.admin("GET", "/api/admin/channels".to_owned())
            .json()
            .await
    }

    /// `PUT /api/admin/channels`: one channel's settings; answers with every channel's.
    pub async fn set_channel_settings(
        &self,
        settings: &ChannelSettings,
    ) -> Result<ChannelSettingsList, TransportError> {
        self.admin("PUT", "/api/admin/channels".to_owned())
            .body(settings)
            .json()
            .await
    }
}
