//! Per-channel settings for administrators (`/api/admin/channels`): asynchronous chat on or off,
//! whether public items are offered, the offer timeout and the "contact responded" reservation
//! window. The store keeps them (and routing's in-memory copy, `store/channel_settings`).

use crate::auth::AdminAuth;
use crate::error::{ApiError, JsonBody};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::channels::{ChannelSettings, ChannelSettingsList};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, update))
}

/// Every channel's settings.
#[utoipa::path(get, path = "/api/admin/channels", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ChannelSettingsList), (status = 403, body = wire::ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    _auth: AdminAuth,
) -> Result<Json<ChannelSettingsList>, ApiError> {
    Ok(Json(ChannelSettingsList {
        channels: state.store.channel_settings().await?,
    }))
}

/// Sets one channel's settings (the body names the channel): offer timeout 5 to 600 seconds,
/// reservation window 0 to 86400 seconds. Offers made from now on use the timeout, the
/// reservation window and whether public items are offered; asynchronous chat on/off is kept
/// but not yet acted on. Returns every channel's settings.
#[utoipa::path(put, path = "/api/admin/channels", tag = "admin", security(("bearer" = [])),
    request_body = ChannelSettings,
    responses((status = 200, body = ChannelSettingsList), (status = 400, body = wire::ErrorBody),
        (status = 403, body = wire::ErrorBody)))]
async fn update(
    State(state): State<AppState>,
    AdminAuth(auth): AdminAuth,
    JsonBody(settings): JsonBody<ChannelSettings>,
) -> Result<Json<ChannelSettingsList>, ApiError> {
    settings.check().map_err(ApiError::Invalid)?;
    let channels = state
        .store
        .update_channel_settings(Some(auth.agent), &settings)
        .await?;
    Ok(Json(ChannelSettingsList { channels }))
}
