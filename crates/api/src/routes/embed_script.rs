//! `GET /embed.js` and `GET /embed.d.ts`: the script a portal includes to frame the desktop and
//! drive it (protocol `threadline/1`), and its TypeScript types. Both are kept in
//! `assets/`, built into the binary, public (no credentials: they hold nothing secret), and
//! revalidated with an `ETag` after a short `max-age`, so a new version reaches portals soon.
//!
//! # Layout
//! - [`routes`]: the two routes.
//! - [`Asset`]: one file with its type and `ETag`; [`serve`] answers a `GET`, or 304.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// How long a browser may use its copy before it asks again (with `If-None-Match`).
const CACHE: &str = "public, max-age=300";

/// One built-in file.
struct Asset {
    /// The file's bytes.
    body: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// A strong `ETag` from its SHA-256, so a changed file is fetched again.
    etag: HeaderValue,
}

impl Asset {
    fn new(body: &'static str, content_type: &'static str) -> Asset {
        let hash = hex::encode(Sha256::digest(body.as_bytes()));
        let etag = HeaderValue::from_str(&format!("\"{}\"", &hash[..32]))
            .unwrap_or_else(|_| HeaderValue::from_static("\"embed\""));
        Asset {
            body,
            content_type,
            etag,
        }
    }
}

static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_str!("../../assets/embed.js"),
        "text/javascript; charset=utf-8",
    )
});

static TYPES: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        include_str!("../../assets/embed.d.ts"),
        "application/typescript; charset=utf-8",
    )
});

/// `GET /embed.js` and `GET /embed.d.ts` (anyone may fetch them).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/embed.js",
            get(|headers: HeaderMap| async move { serve(&SCRIPT, &headers) }),
        )
        .route(
            "/embed.d.ts",
            get(|headers: HeaderMap| async move { serve(&TYPES, &headers) }),
        )
}

/// The file, or `304 Not Modified` when the browser's copy (`If-None-Match`) is current.
fn serve(asset: &Asset, request: &HeaderMap) -> Response {
    let current = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/").as_bytes() == asset.etag.as_bytes()
        });
    let headers = [
        (header::ETAG, asset.etag.clone()),
        (header::CACHE_CONTROL, HeaderValue::from_static(CACHE)),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        // Public and credential-free: a portal may load it as a module script too.
        (
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ),
    ];
    if current {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        headers,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        )],
        asset.body,
    )
        .into_response()
}
