//! The static front ends: the agent desktop at `/`, the widget's files at `/widget/`, the
//! console (supervisors and administrators) at `/console/`, and a demo company page at `/demo`
//! with the widget on it; `/embed.js` and `/embed.d.ts` for portals (`embed_script`). Sets the
//! security headers (policies from `csp`); `caching` decides how the files travel.

use super::csp::{inline_script_hashes, parent_allowed, Policy};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

const DEMO_PAGE: &str = include_str!("../../assets/demo.html");

/// Adds the static parts and headers to the API router.
pub fn with_site(api: Router<AppState>, state: &AppState) -> Router<AppState> {
    // The demo page frames the widget from this server and is framed by no one.
    let demo_csp = Policy {
        script_hashes: Vec::new(),
        frame_ancestors: vec!["'none'".to_owned()],
        frame_src: "'self'",
    }
    .header();
    let mut app = api.merge(super::embed_script::routes()).route(
        "/demo",
        axum::routing::get(|| async { Html(DEMO_PAGE) }).layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            demo_csp,
        )),
    );
    if let Some(dir) = &state.config.widget_dir {
        // The frame is framed by the company's pages on the allowlist (and this server's).
        let origins = state.config.widget_origins.clone();
        let csp = Policy {
            script_hashes: inline_script_hashes(&dir.join("frame.html")),
            frame_ancestors: std::iter::once("'self'".to_owned())
                .chain(origins.iter().cloned())
                .collect(),
            frame_src: "'none'",
        }
        .header();
        let origins = Arc::new(origins);
        let widget = super::caching::static_dir(dir, None)
            .layer(axum::middleware::from_fn(
                move |req: Request, next: Next| {
                    let origins = origins.clone();
                    async move { frame_parent_check(&origins, req, next).await }
                },
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                csp,
            ));
        app = app.nest_service("/widget", widget);
    }
    if let Some(dir) = &state.config.console_dir {
        // Like the desktop: its own page for every place (`/console/board`, ...), framed only
        // where the desktop may be.
        let csp = Policy {
            script_hashes: inline_script_hashes(&dir.join("index.html")),
            frame_ancestors: std::iter::once("'self'".to_owned())
                .chain(state.config.embed_origins.iter().cloned())
                .collect(),
            frame_src: "'none'",
        }
        .header();
        let console = super::caching::static_dir(dir, Some("index.html")).layer(
            SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp),
        );
        app = app.nest_service("/console", console);
    }
    if let Some(dir) = &state.config.desktop_dir {
        let csp = Policy {
            script_hashes: inline_script_hashes(&dir.join("index.html")),
            frame_ancestors: std::iter::once("'self'".to_owned())
                .chain(state.config.embed_origins.iter().cloned())
                .collect(),
            frame_src: "'none'",
        }
        .header();
        let desktop = super::caching::static_dir(dir, Some("index.html")).layer(
            SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp),
        );
        app = app.fallback_service(desktop);
    }
    app.layer(SetResponseHeaderLayer::if_not_present(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(SetResponseHeaderLayer::if_not_present(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ))
    .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// The widget frame is served only for a `?parent=` origin the operator allowed (or this
/// server's own): the frame posts the conversation to that origin, so an unknown site must
/// not get a frame that talks to it. Every `parent` the query names is checked.
async fn frame_parent_check(origins: &[String], req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let query = req.uri().query().unwrap_or("");
    let refused = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "parent")
        .any(|(_, parent)| !parent_allowed(&parent, origins, host.as_deref()));
    if refused {
        return ApiError::Forbidden(
            "this website is not allowed to embed the chat widget".to_owned(),
        )
        .into_response();
    }
    next.run(req).await
}
