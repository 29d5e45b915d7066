//! The static front ends: the agent desktop at `/`, the widget's files at `/widget/`, and a
//! demo company page at `/demo` with the widget on it. Sets the security headers; `caching`
//! decides how the files travel.

use crate::state::AppState;
use axum::http::{header, HeaderValue};
use axum::response::Html;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

const DEMO_PAGE: &str = include_str!("../../assets/demo.html");

/// Adds the static parts and headers to the API router.
pub fn with_site(api: Router<AppState>, state: &AppState) -> Router<AppState> {
    let mut app = api.route("/demo", axum::routing::get(|| async { Html(DEMO_PAGE) }));
    if let Some(dir) = &state.config.widget_dir {
        // The widget is framed by the company's pages, whatever their origin.
        let widget =
            super::caching::static_dir(dir, None).layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("frame-ancestors *"),
            ));
        app = app.nest_service("/widget", widget);
    }
    if let Some(dir) = &state.config.desktop_dir {
        let ancestors = std::iter::once("'self'".to_owned())
            .chain(state.config.frame_ancestors.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        let csp = HeaderValue::from_str(&format!("frame-ancestors {ancestors}"))
            .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'self'"));
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
