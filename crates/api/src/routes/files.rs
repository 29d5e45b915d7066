//! Images: `POST /api/attachments` (agents), `POST /api/visitor/attachments` (visitors) and
//! `GET /api/files/{key}`. Uploads are sniffed by their bytes; downloads are sent with
//! `nosniff`, a sandboxing CSP and a clean file name.

use crate::auth::{new_file_key, sha256_hex, AgentAuth, VisitorAuth};
use crate::error::{ApiError, FormBody, PathParam};
use crate::images::{check, clean_file_name};
use crate::state::AppState;
use crate::store::AuthorKey;
use crate::store::NewAttachment;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::AttachmentView;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(agent_upload))
        .routes(routes!(visitor_upload))
        .routes(routes!(download))
        // The image limit is checked exactly below; this only stops absurd bodies early.
        .layer(DefaultBodyLimit::max(
            wire::limits::MAX_IMAGE_BYTES * 2 + 64 * 1024,
        ))
}

/// The multipart upload form.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The image (PNG, JPEG, GIF or WebP).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads an image for an agent's message.
#[utoipa::path(post, path = "/api/attachments", tag = "files", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = AttachmentView), (status = 413, body = wire::ErrorBody), (status = 415, body = wire::ErrorBody)))]
async fn agent_upload(
    State(state): State<AppState>,
    auth: AgentAuth,
    FormBody(form): FormBody,
) -> Result<Json<AttachmentView>, ApiError> {
    upload(&state, AuthorKey::Agent(auth.agent), form).await
}

/// Uploads an image for a visitor's message.
#[utoipa::path(post, path = "/api/visitor/attachments", tag = "visitor", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = AttachmentView), (status = 413, body = wire::ErrorBody), (status = 415, body = wire::ErrorBody),
        (status = 429, body = wire::ErrorBody)))]
async fn visitor_upload(
    State(state): State<AppState>,
    auth: VisitorAuth,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    FormBody(form): FormBody,
) -> Result<Json<AttachmentView>, ApiError> {
    state.visitor_limits.admit(
        crate::visitor_limits::Action::Upload,
        auth.contact,
        super::visitor::client_of(&state, peer, &headers),
    )?;
    upload(&state, AuthorKey::Contact(auth.contact), form).await
}

async fn upload(
    state: &AppState,
    owner: AuthorKey,
    mut form: Multipart,
) -> Result<Json<AttachmentView>, ApiError> {
    let max = state.config.max_image_bytes;
    let too_large =
        || ApiError::TooLarge(format!("images may be at most {} MB", max / (1024 * 1024)));
    while let Some(mut field) = form.next_field().await.map_err(|e| multipart_error(&e))? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = clean_file_name(field.file_name().unwrap_or("image"));
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(&e))? {
            if bytes.len() + chunk.len() > max {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let checked = check(&bytes, max)?;
        // Where and when a photo was taken, and on what, is not the chat's business.
        let bytes = crate::image_meta::strip_metadata(bytes, checked.content_type);
        let view = state
            .store
            .store_attachment(NewAttachment {
                owner,
                content_type: checked.content_type,
                width: checked.width,
                height: checked.height,
                sha256: sha256_hex(&bytes),
                file_name,
                bytes,
                file_key: new_file_key(),
            })
            .await?;
        return Ok(Json(view));
    }
    Err(ApiError::invalid(
        "send the image in a multipart field named \"file\"",
    ))
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge("the upload is too large".into())
    } else {
        ApiError::invalid("the upload is not a valid multipart form")
    }
}

/// An image. The key in the URL is unguessable, so `<img>` tags work without credentials.
#[utoipa::path(get, path = "/api/files/{key}", tag = "files",
    params(("key" = String, Path, description = "the file key from AttachmentView.url")),
    responses((status = 200, content_type = "image/*", body = Vec<u8>), (status = 404, body = wire::ErrorBody)))]
async fn download(
    State(state): State<AppState>,
    PathParam(key): PathParam<String>,
) -> Result<Response, ApiError> {
    if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::not_found("file"));
    }
    let file = state
        .store
        .file(&key)
        .await?
        .ok_or_else(|| ApiError::not_found("file"))?;
    let mut headers = HeaderMap::new();
    let value = |s: &str| HeaderValue::from_str(s).map_err(|e| ApiError::Internal(e.to_string()));
    headers.insert(header::CONTENT_TYPE, value(&file.content_type)?);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(&format!("inline; filename=\"{}\"", file.file_name))?,
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    headers.insert(header::ETAG, value(&format!("\"{}\"", file.sha256))?);
    Ok((headers, file.bytes).into_response())
}
