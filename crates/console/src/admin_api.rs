//! The administrators' API operations (`/api/admin/…`): accounts, the audit log, the
//! per-channel settings, and a contact's data (found, exported, erased). Kept beside
//! `api.rs` (same [`Api`] caller) so each administration screen's calls sit in one place.

use crate::api::Api;
use crate::contacts::FoundPage;
use client::call::encode;
use client::{Call, TransportError};
use wire::accounts::{
    AccountChange, AccountList, AccountView, AuditPage, NewAccount, PasswordReset,
};
use wire::api::ErasedContact;
use wire::channels::{ChannelSettings, ChannelSettingsList};
use wire::{AgentId, ContactId};

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

    /// `GET /api/contacts?q=`: the contacts whose name, email or messages hold the words.
    pub async fn find_contacts(&self, words: &str) -> Result<FoundPage, TransportError> {
        self.admin("GET", format!("/api/contacts?q={}&limit=20", encode(words)))
            .json()
            .await
    }

    /// `GET /api/admin/contacts/{id}/export`: everything kept of the contact, as the JSON
    /// text the server sent (saved as a file as it is).
    pub async fn export_contact(&self, id: ContactId) -> Result<String, TransportError> {
        self.admin("GET", format!("/api/admin/contacts/{id}/export"))
            .text()
            .await
    }

    /// `DELETE /api/admin/contacts/{id}`: the contact erased at their request.
    pub async fn erase_contact(&self, id: ContactId) -> Result<ErasedContact, TransportError> {
        self.admin("DELETE", format!("/api/admin/contacts/{id}"))
            .json()
            .await
    }
}
