//! The catalog's API operations (`/api/responses` and `/api/admin/…`), on the console's
//! [`Api`]. Kept beside the pages that use them.

use super::Kind;
use crate::api::Api;
use client::{Call, TransportError};
use wire::api::ResponseTree;
use wire::catalog::{
    CategoryForm, CodeChange, CodeList, CodeOrder, CodeView, NewCode, ResponseForm,
};
use wire::{CategoryId, CategoryView, ResponseId, StandardResponse};

impl Api {
    fn call(&self, method: &'static str, url: String) -> Call {
        Call::new(method, url).bearer(Some(self.token()))
    }

    /// `GET /api/responses`: the tree agents see.
    pub async fn responses(&self) -> Result<ResponseTree, TransportError> {
        self.call("GET", "/api/responses".into()).json().await
    }

    /// `POST /api/admin/response-categories`, or `PUT …/{id}` for an existing category.
    pub async fn save_category(
        &self,
        id: Option<CategoryId>,
        form: &CategoryForm,
    ) -> Result<CategoryView, TransportError> {
        let call = match id {
            None => self.call("POST", "/api/admin/response-categories".into()),
            Some(id) => self.call("PUT", format!("/api/admin/response-categories/{id}")),
        };
        call.body(form).json().await
    }

    /// `DELETE /api/admin/response-categories/{id}`.
    pub async fn delete_category(&self, id: CategoryId) -> Result<(), TransportError> {
        self.call("DELETE", format!("/api/admin/response-categories/{id}"))
            .done()
            .await
    }

    /// `POST /api/admin/responses`, or `PUT …/{id}` for an existing response.
    pub async fn save_response(
        &self,
        id: Option<ResponseId>,
        form: &ResponseForm,
    ) -> Result<StandardResponse, TransportError> {
        let call = match id {
            None => self.call("POST", "/api/admin/responses".into()),
            Some(id) => self.call("PUT", format!("/api/admin/responses/{id}")),
        };
        call.body(form).json().await
    }

    /// `DELETE /api/admin/responses/{id}`.
    pub async fn delete_response(&self, id: ResponseId) -> Result<(), TransportError> {
        self.call("DELETE", format!("/api/admin/responses/{id}"))
            .done()
            .await
    }

    /// `GET /api/admin/dispositions` or `/api/admin/not-ready-reasons`.
    pub async fn codes(&self, kind: Kind) -> Result<CodeList, TransportError> {
        self.call("GET", kind.path().into()).json().await
    }

    /// `POST` a new code.
    pub async fn add_code(&self, kind: Kind, new: &NewCode) -> Result<CodeView, TransportError> {
        self.call("POST", kind.path().into()).body(new).json().await
    }

    /// `PATCH …/{code}`: relabel, retire or restore.
    pub async fn change_code(
        &self,
        kind: Kind,
        code: &str,
        change: &CodeChange,
    ) -> Result<CodeView, TransportError> {
        self.call("PATCH", format!("{}/{code}", kind.path()))
            .body(change)
            .json()
            .await
    }

    /// `PUT` the new order.
    pub async fn reorder_codes(
        &self,
        kind: Kind,
        order: &CodeOrder,
    ) -> Result<CodeList, TransportError> {
        self.call("PUT", kind.path().into())
            .body(order)
            .json()
            .await
    }
}
