//! How the static front ends travel: precompressed, cached for good when the name says the
//! content, revalidated when it does not; and API JSON compressed where it pays.
//!
//! - The bundler (xtask) names every asset after a hash of its content
//!   (`threadline-<16 hex>_bg.wasm`), so a browser may keep those forever:
//!   `Cache-Control: public, max-age=31536000, immutable`.
//! - The entry points keep their names (`index.html`, the widget's `frame.html` and
//!   `loader.js`, the pictures in `public/`), so they are `no-cache` with a weak `ETag` made of
//!   the file's size and modification time; a repeat visit gets `304 Not Modified`.
//! - `xtask` writes `<file>.br` and `<file>.gz` next to each bundle file at build time; the
//!   server sends the one the browser accepts (`Vary: Accept-Encoding`), so nothing is
//!   compressed per request.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// For hashed assets.
const FOREVER: &str = "public, max-age=31536000, immutable";
/// For entry points: keep a copy, but ask before using it.
const REVALIDATE: &str = "no-cache";
/// API bodies shorter than this go uncompressed: compressing them costs more than it saves.
const JSON_MIN_BYTES: u16 = 2048;

/// The files of one front end, for the cache headers.
struct Files {
    /// The directory the bundle was built into.
    dir: PathBuf,
    /// The page served for paths that are not files (the desktop's own URLs), if any.
    fallback: Option<PathBuf>,
}

/// Serves `dir` precompressed with cache headers; paths that are not files get `fallback`
/// (a file name inside `dir`, e.g. `index.html`) when given, else 404.
pub fn static_dir<S>(dir: &Path, fallback: Option<&str>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let files = Arc::new(Files {
        dir: dir.to_path_buf(),
        fallback: fallback.map(|name| dir.join(name)),
    });
    let serve = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let router = match &files.fallback {
        Some(page) => Router::new().fallback_service(
            serve.fallback(ServeFile::new(page).precompressed_br().precompressed_gzip()),
        ),
        None => Router::new().fallback_service(serve),
    };
    router.layer(axum::middleware::from_fn_with_state(files, cache_headers))
}

/// Compression for API responses: brotli or gzip at a fast setting, only for bodies of 2 KB or
/// more, never for event streams (they must flush each event) or images (already compressed).
pub fn json_compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(tower_http::CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(JSON_MIN_BYTES)))
}

async fn cache_headers(State(files): State<Arc<Files>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let name = path.rsplit('/').next().unwrap_or_default();
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    if is_hashed(name) {
        let mut response = next.run(request).await;
        if response.status() == StatusCode::OK {
            set(response.headers_mut(), header::CACHE_CONTROL, FOREVER);
        }
        set(response.headers_mut(), header::VARY, "Accept-Encoding");
        return response;
    }
    let Some(tag) = files.resolve(&path).and_then(|file| etag(&file)) else {
        let mut response = next.run(request).await;
        set(response.headers_mut(), header::CACHE_CONTROL, REVALIDATE);
        return response;
    };
    let unchanged = request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|candidate| candidate.trim() == tag || candidate.trim() == "*");
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    set(headers, header::CACHE_CONTROL, REVALIDATE);
    set(headers, header::VARY, "Accept-Encoding");
    response
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &'static str) {
    headers.insert(name, HeaderValue::from_static(value));
}

impl Files {
    /// The file a request path is answered with, without leaving the directory.
    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let mut file = self.dir.clone();
        for part in Path::new(path.trim_start_matches('/')).components() {
            match part {
                Component::Normal(segment) => file.push(segment),
                Component::CurDir => {}
                _ => return None,
            }
        }
        if file.is_file() {
            return Some(file);
        }
        let index = file.join("index.html");
        if index.is_file() {
            return Some(index);
        }
        self.fallback.clone().filter(|page| page.is_file())
    }
}

/// A weak validator from the file's size and modification time (`W/"<len>-<nanos>"`).
fn etag(file: &Path) -> Option<String> {
    let meta = std::fs::metadata(file).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(format!("W/\"{:x}-{:x}\"", meta.len(), modified.as_nanos()))
}

/// Whether a file name carries the bundler's content hash: `<stem>-<16 hex digits>` then `.` or `_`.
fn is_hashed(name: &str) -> bool {
    name.match_indices('-').any(|(at, _)| {
        let rest = &name[at + 1..];
        rest.len() > 16
            && rest.as_bytes()[..16].iter().all(u8::is_ascii_hexdigit)
            && matches!(rest.as_bytes()[16], b'.' | b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::{is_hashed, Files};

    #[test]
    fn a_path_never_leads_outside_the_directory() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("dist");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("index.html"), "page").expect("write");
        std::fs::write(root.path().join("secret.txt"), "secret").expect("write");
        let files = Files {
            dir: dir.clone(),
            fallback: Some(dir.join("index.html")),
        };
        assert_eq!(files.resolve("/index.html"), Some(dir.join("index.html")));
        assert_eq!(
            files.resolve("/interactions/7"),
            Some(dir.join("index.html"))
        );
        for attack in [
            "/../secret.txt",
            "/a/../../secret.txt",
            "/..",
            "//../secret.txt",
        ] {
            assert_eq!(files.resolve(attack), None, "{attack}");
        }
    }

    #[test]
    fn bundle_names_are_hashed_entry_points_are_not() {
        assert!(is_hashed("threadline-9f86d081884c7d65_bg.wasm"));
        assert!(is_hashed("threadline-widget-9f86d081884c7d65.js"));
        assert!(is_hashed("style-0123456789abcdef.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("loader.js"));
        assert!(!is_hashed("frame.html"));
        assert!(!is_hashed("threadline-widget.js"));
        assert!(!is_hashed("x-0123456789abcdeg.js"));
    }
}
