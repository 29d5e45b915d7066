//! The security headers of the pages: one Content-Security-Policy per kind of page (the
//! desktop, the widget's frame, the demo page), and the widget frame's `?parent=` check.
//!
//! # Layout
//! - [`Policy`]: builds a policy; [`inline_script_hashes`] allows exactly the inline
//!   bootstrap scripts the bundler writes into a page (hashed when the server starts), so
//!   `script-src` needs no `'unsafe-inline'`.
//! - [`parent_allowed`]: whether a `?parent=` origin may have the widget frame.

use axum::http::HeaderValue;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::path::Path;

/// One page kind's policy.
pub struct Policy {
    /// `'sha256-…'` sources of the page's inline scripts.
    pub script_hashes: Vec<String>,
    /// The `frame-ancestors` sources (`'self'`, origins, or `'none'`).
    pub frame_ancestors: Vec<String>,
    /// The `frame-src` sources (the demo page frames the widget).
    pub frame_src: &'static str,
    /// Origins the page may connect to besides its own (the demo page's social panel posts to
    /// the stand-in platform, in demo mode only); checked origins, never a wildcard.
    pub connect_src: Vec<String>,
}

impl Policy {
    /// The header: everything from the server's own origin only; scripts also may compile
    /// WebAssembly (`'wasm-unsafe-eval'`, what the wasm bundles need), images also from
    /// `data:` and `blob:` URLs (previews before upload), styles also inline (style attributes
    /// the views set), connections also to [`Policy::connect_src`], no plugins, no `<base>`,
    /// forms only to itself.
    pub fn header(&self) -> HeaderValue {
        let mut script = vec!["'self'".to_owned(), "'wasm-unsafe-eval'".to_owned()];
        script.extend(self.script_hashes.iter().cloned());
        let mut connect = vec!["'self'".to_owned()];
        connect.extend(self.connect_src.iter().cloned());
        let value = format!(
            "default-src 'self'; script-src {}; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data: blob:; connect-src {}; frame-src {}; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors {}",
            script.join(" "),
            connect.join(" "),
            self.frame_src,
            self.frame_ancestors.join(" ")
        );
        // The parts are fixed words, hashes and checked origins; should one ever not fit a
        // header, nothing may load rather than everything.
        HeaderValue::from_str(&value)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
    }
}

/// The `'sha256-…'` sources of every inline `<script>` (one without `src`) in `page`, read
/// from disk; none when the file is missing.
pub fn inline_script_hashes(page: &Path) -> Vec<String> {
    std::fs::read_to_string(page)
        .map(|html| hashes_of(&html))
        .unwrap_or_default()
}

fn hashes_of(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| at + i) {
        let Some(open_end) = lower[start..].find('>').map(|i| start + i + 1) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|i| open_end + i) else {
            break;
        };
        if !lower[start..open_end].contains(" src=") {
            let digest = Sha256::digest(&html.as_bytes()[open_end..close]);
            out.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        at = close;
    }
    out
}

/// Whether the widget frame may be served for `?parent=parent`: an origin on the allowlist,
/// or the server's own (the same host and port as the request's `Host`, so the demo page and
/// the browser tests work wherever the server listens).
pub fn parent_allowed(parent: &str, allowlist: &[String], host: Option<&str>) -> bool {
    let Some(parent) = crate::config::parse_origin(parent) else {
        return false;
    };
    if allowlist.contains(&parent) {
        return true;
    }
    let authority = parent
        .strip_prefix("https://")
        .or_else(|| parent.strip_prefix("http://"));
    host.is_some_and(|h| authority == Some(h.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_not() {
        let html = "<script type=\"module\">init();</script><script src=\"/a.js\"></script>\
                    <SCRIPT>x</SCRIPT>";
        let hashes = hashes_of(html);
        assert_eq!(hashes.len(), 2);
        let init = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"init();"));
        assert_eq!(hashes[0], format!("'sha256-{init}'"));
    }

    #[test]
    fn parents() {
        let list = vec!["https://shop.example.com".to_owned()];
        assert!(parent_allowed("https://shop.example.com", &list, None));
        assert!(parent_allowed("https://SHOP.example.com/", &list, None));
        assert!(!parent_allowed(
            "https://evil.example",
            &list,
            Some("t.example")
        ));
        assert!(parent_allowed(
            "http://127.0.0.1:8080",
            &list,
            Some("127.0.0.1:8080")
        ));
        assert!(!parent_allowed(
            "http://127.0.0.1:9090",
            &list,
            Some("127.0.0.1:8080")
        ));
        assert!(!parent_allowed("null", &list, Some("null")));
    }
}
