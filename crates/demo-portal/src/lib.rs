//! The demo portal: "Acme CRM", a third party's page that frames the Threadline agent desktop
//! with `/embed.js` and logs agents in with login tokens (single sign-on). It talks to
//! Threadline only over HTTP, as any portal would: its page includes Threadline's script, and
//! its back end asks Threadline for login tokens with the portal's secret.
//!
//! # Layout
//! - [`Config`]: where Threadline is, the portal's secret, the agents it offers.
//! - [`app`]: the routes: `GET /` (the page), `GET /app.js`, `/style.css` and `/favicon.svg`
//!   (its script, styles and icon), `POST /token` (a login token for one of the offered agents).
//! - [`serve`]: runs [`app`] on a listener until `shutdown` completes.
//! - `token`: `POST /token` and its errors. The page itself is in `assets/`.

mod token;

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::fmt::Write as _;
use std::future::Future;
use std::sync::Arc;

/// The published secret of the demo portal (Threadline's `--demo` mode accepts it for the
/// portal `demo`). Anyone can read it: use it only for trying Threadline out.
pub const DEMO_SECRET: &str = "threadline-demo-portal-secret-published";

/// The environment variable the portal's secret is read from.
pub const SECRET_VARIABLE: &str = "THREADLINE_EMBED_SECRET_DEMO";

/// The agents the portal offers in its picker (Threadline's demo agents): login, name.
pub const AGENTS: [(&str, &str); 3] = [
    ("ann", "Ann Archer"),
    ("ben", "Ben Brooks"),
    ("cleo", "Cleo Chen"),
];

/// The portal's customer on the page: a seeded Threadline contact whose web identity is this
/// customer id.
pub const CUSTOMER_ID: &str = "cust-1001";

/// The longest request body `POST /token` reads.
pub const MAX_BODY: usize = 1024;

/// What the portal needs to know.
#[derive(Clone)]
pub struct Config {
    /// Threadline's origin (`http://127.0.0.1:8080`): the page loads `/embed.js` and frames
    /// the desktop from it, the back end asks it for login tokens.
    pub threadline: String,
    /// The portal's server-to-server secret; sent only to Threadline, never to a browser.
    pub secret: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("threadline", &self.threadline)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The Threadline URL is not an `http(s)://host[:port]` URL.
    BadUrl(String),
    /// No secret: neither the environment variable nor `--demo`.
    NoSecret,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::BadUrl(why) => write!(f, "--threadline-url: {why}"),
            ConfigError::NoSecret => write!(
                f,
                "no portal secret: set {SECRET_VARIABLE}, or pass --demo for the published demo secret"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// A configuration from Threadline's URL (only its origin is kept) and the secret; with
    /// `demo`, an empty secret becomes [`DEMO_SECRET`].
    ///
    /// # Errors
    /// A URL that is not `http(s)` with a host, or no secret outside demo mode.
    pub fn new(
        threadline_url: &str,
        secret: Option<String>,
        demo: bool,
    ) -> Result<Config, ConfigError> {
        let url = reqwest::Url::parse(threadline_url.trim())
            .map_err(|e| ConfigError::BadUrl(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ConfigError::BadUrl(
                "it must be an http:// or https:// URL with a host".to_owned(),
            ));
        }
        let threadline = url.origin().ascii_serialization();
        let secret = match secret.filter(|s| !s.is_empty()) {
            Some(secret) => secret,
            None if demo => DEMO_SECRET.to_owned(),
            None => return Err(ConfigError::NoSecret),
        };
        Ok(Config { threadline, secret })
    }
}

/// What every handler shares.
struct Shared {
    /// The configuration.
    config: Config,
    /// The page, with Threadline's origin filled in.
    page: String,
    /// The client for Threadline (no redirects, short timeouts).
    http: reqwest::Client,
}

const PAGE: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/app.js");
const STYLE: &str = include_str!("../assets/style.css");
const ICON: &str = include_str!("../assets/favicon.svg");

/// The portal's page, with Threadline's origin, the agents and the customer filled in.
fn app_page(config: &Config) -> String {
    // The page puts the origin in double-quoted attributes.
    let origin = html_escape::encode_double_quoted_attribute(&config.threadline);
    let mut options = String::new();
    for (login, name) in AGENTS {
        let _ = write!(options, "<option value=\"{login}\">{name}</option>");
    }
    PAGE.replace("{threadline}", &origin)
        .replace("{agents}", &options)
        .replace("{customer}", CUSTOMER_ID)
}

/// The portal's routes.
pub fn app(config: Config) -> Router {
    let page = app_page(&config);
    // An origin as the URL parser serialises it: nothing in it needs quoting in a header.
    let origin = &config.threadline;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; script-src 'self' {origin}; frame-src {origin}; connect-src 'self'; \
         style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    let policy = HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    let shared = Arc::new(Shared { config, page, http });
    Router::new()
        .route(
            "/",
            get({
                let shared = shared.clone();
                move || async move { page_response(&shared, policy) }
            }),
        )
        .route(
            "/app.js",
            get(|| async { file(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/style.css",
            get(|| async { file(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/favicon.svg",
            get(|| async { file(ICON, "image/svg+xml") }),
        )
        .route("/token", post(token::token))
        .fallback(|| async { token::PortalError::not_found() })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(shared)
}

fn page_response(shared: &Shared, policy: HeaderValue) -> Response {
    (
        [
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        Html(shared.page.clone()),
    )
        .into_response()
}

fn file(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}

/// Serves the portal on `listener` until `shutdown` completes.
///
/// # Errors
/// The server failed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(config))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_keeps_only_the_origin() {
        let c = Config::new("http://127.0.0.1:8080/some/path?q=1", None, true).expect("ok");
        assert_eq!(c.threadline, "http://127.0.0.1:8080");
        assert_eq!(c.secret, DEMO_SECRET);
        assert_eq!(
            Config::new("ftp://x", None, true).map(|_| ()),
            Err(ConfigError::BadUrl(
                "it must be an http:// or https:// URL with a host".to_owned()
            ))
        );
        assert_eq!(
            Config::new("http://x", None, false).map(|_| ()),
            Err(ConfigError::NoSecret)
        );
        let c = Config::new("https://t.example", Some("s".repeat(40)), false).expect("ok");
        assert_eq!(c.secret.len(), 40);
    }

    #[test]
    fn the_page_holds_threadline_s_address_escaped() {
        let mut config = Config::new("http://x", Some("s".repeat(40)), false).expect("ok");
        config.threadline = "https://t.example/a\"><script>'&".into();
        let page = app_page(&config);
        assert!(page.contains("content=\"https://t.example/a&quot;&gt;&lt;script&gt;'&amp;\""));
        assert!(!page.contains("<script>'"));
    }
}
