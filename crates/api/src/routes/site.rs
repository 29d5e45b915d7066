//! The static front ends: the agent desktop at `/`, the widget's files at `/widget/`, the
//! console (supervisors and administrators) at `/console/`, and a demo company page at `/demo`
//! with the widget on it (and, in demo mode with a stand-in platform, the "Social channels
//! (demo)" panel and its script `/demo/social.js`); `/embed.js` and `/embed.d.ts` for portals
//! (`embed_script`). Sets the security headers (policies from `csp`); `caching` decides how the
//! files travel.

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
/// The social panel's script: posts a demo customer's message to the stand-in platform.
const SOCIAL_JS: &str = include_str!("../../assets/demo-social.js");
/// Where the demo page has the social panel, when there is one.
const SOCIAL_SLOT: &str = "<!-- social panel -->";

/// The demo page: with the social panel posting to the stand-in at `standin` (a checked
/// origin), or without it.
fn demo_page(standin: Option<&str>) -> String {
    let panel = standin.map_or_else(String::new, |origin| {
        format!(
            r#"<section class="card social" aria-labelledby="social-title" data-standin="{origin}">
    <h2 id="social-title">Social channels (demo)</h2>
    <p>Write to Northwind as a customer on Facebook or X: the stand-in platform sends it to
    Threadline as the platform's signed webhook, and agents' answers go back through it.</p>
    <form id="social-form">
      <label for="social-name">Customer name</label>
      <input id="social-name" name="name" required maxlength="100" value="Dana Park">
      <label for="social-channel">Channel</label>
      <select id="social-channel" name="channel">
        <option value="messenger">Messenger message</option>
        <option value="x_dm">X Direct Message</option>
        <option value="page_comment">Comment on the Page's post</option>
        <option value="mention">Mention on X</option>
      </select>
      <label for="social-text">Customer message</label>
      <textarea id="social-text" name="text" required maxlength="2000" rows="2"></textarea>
      <button type="submit">Send</button>
      <p role="status" id="social-status"></p>
    </form>
  </section>
  <script src="/demo/social.js" defer></script>"#
        )
    });
    DEMO_PAGE.replace(SOCIAL_SLOT, &panel)
}

/// Adds the static parts and headers to the API router.
pub fn with_site(api: Router<AppState>, state: &AppState) -> Router<AppState> {
    // The demo page frames the widget from this server and is framed by no one; in demo mode
    // with a stand-in platform its social panel connects there too.
    let standin = state.config.demo_standin_url.clone();
    let demo_csp = Policy {
        script_hashes: Vec::new(),
        frame_ancestors: vec!["'none'".to_owned()],
        frame_src: "'self'",
        connect_src: standin.iter().cloned().collect(),
    }
    .header();
    let page: Arc<str> = demo_page(standin.as_deref()).into();
    let mut app = api.merge(super::embed_script::routes()).route(
        "/demo",
        axum::routing::get(move || {
            let page = page.clone();
            async move { Html(page.to_string()) }
        })
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            demo_csp,
        )),
    );
    if standin.is_some() {
        app = app.route(
            "/demo/social.js",
            axum::routing::get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    SOCIAL_JS,
                )
            }),
        );
    }
    if let Some(dir) = &state.config.widget_dir {
        // The frame is framed by the company's pages on the allowlist (and this server's).
        let origins = state.config.widget_origins.clone();
        let csp = Policy {
            script_hashes: inline_script_hashes(&dir.join("frame.html")),
            frame_ancestors: std::iter::once("'self'".to_owned())
                .chain(origins.iter().cloned())
                .collect(),
            frame_src: "'none'",
            connect_src: Vec::new(),
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
            connect_src: Vec::new(),
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
            connect_src: Vec::new(),
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
