//! Attacks from the security review (issue 13, findings 9 and 10), run against the real server
//! on SQLite and PostgreSQL: NUL bytes and invisible direction marks in every text input, the
//! pages' security headers and the widget frame's `?parent=` allowlist. Finding 11 (handle
//! time, receipts, a colleague's chat, images) is in `security_input_smaller.rs`.

mod common;

use common::{client_id, Backend, Caller, Server};
use reqwest::Method;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

on_both!(
    nul_in_a_search_is_a_400_not_a_500,
    control_and_bidi_characters_are_refused_in_every_text_field,
    pages_carry_a_full_policy_and_the_widget_frame_only_allowed_parents,
);

/// Asserts a 400 JSON error whose message names `field`.
fn refused(what: &str, (status, body): (u16, Value), field: &str) {
    assert_eq!(status, 400, "{what}: {body}");
    assert_eq!(body["error"]["code"], "invalid_input", "{what}: {body}");
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains(field),
        "{what}: {message:?} names {field:?}"
    );
}

async fn nul_in_a_search_is_a_400_not_a_500(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    for path in [
        "/api/search?q=a%00b",
        "/api/search?q=%E2%80%AEexe",
        "/api/contacts?q=a%00b",
    ] {
        let res = ann.call(Method::GET, path, None).await;
        refused(path, res, "the search");
    }
    // An ordinary search still works.
    let (st, body) = ann.call(Method::GET, "/api/search?q=order", None).await;
    assert_eq!(st, 200, "{body}");
}

async fn control_and_bidi_characters_are_refused_in_every_text_field(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let rlo = "\u{202E}";
    // The visitor's name and e-mail address.
    for (body, field) in [
        (json!({"name": format!("Ann{rlo}gpj.exe")}), "the name"),
        (json!({"name": "Ann\u{0}"}), "the name"),
        (json!({"name": "Ann\u{200B}"}), "the name"),
        (json!({"name": "Ann\tLee"}), "the name"),
        (json!({"email": "a\u{0}@b.example"}), "the email address"),
        (
            json!({"email": format!("a{rlo}@b.example")}),
            "the email address",
        ),
    ] {
        let res = s
            .call(
                Method::POST,
                "/api/visitor/session",
                None,
                Some(body.clone()),
            )
            .await;
        refused(&format!("session {body}"), res, field);
    }
    // Login name and password, and a new password.
    for (body, field) in [
        (
            json!({"login": "ann\u{0}", "password": "ann-pass-1"}),
            "the username",
        ),
        (
            json!({"login": format!("ann{rlo}"), "password": "ann-pass-1"}),
            "the username",
        ),
        (
            json!({"login": "ann", "password": "ann-pass-1\u{0}"}),
            "the password",
        ),
    ] {
        let res = s
            .call(Method::POST, "/api/auth/login", None, Some(body.clone()))
            .await;
        refused(&format!("login {body}"), res, field);
    }
    let ann = s.agent("ann").await;
    // Codes the server looks up: a NUL must not reach the database.
    let res = ann
        .call(
            Method::PUT,
            "/api/me/status",
            Some(json!({"status": {"state": "not_ready", "reason": "break\u{0}"}})),
        )
        .await;
    refused("reason", res, "the reason");
    let res = ann
        .call(
            Method::POST,
            "/api/interactions/1/done",
            Some(json!({"disposition": "resolved\u{0}"})),
        )
        .await;
    refused("disposition", res, "the disposition code");
    // The page the visitor started from.
    let res = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"page": "/sale\u{202E}"})),
        )
        .await;
    refused("start page", res, "the page");
    let res = ann
        .call(
            Method::POST,
            "/api/auth/password",
            Some(json!({"current_password": "ann-pass-1", "new_password": format!("long-enough{rlo}")})),
        )
        .await;
    refused("new password", res, "the new password");
    // A contact's details: every field; notes may have several lines, nothing else.
    let v = s.visitor("Vera").await;
    let contact = format!("/api/contacts/{}", v.contact);
    for (body, field) in [
        (
            json!({"first_name": format!("Vera{rlo}")}),
            "the first name",
        ),
        (json!({"last_name": "Lee\u{0}"}), "the last name"),
        (json!({"first_name": "Ve\nra"}), "the first name"),
        (json!({"email": "v\u{2066}@x.example"}), "the email"),
        (json!({"phone": "123\u{0}"}), "the phone"),
        (json!({"notes": format!("VIP{rlo}")}), "the notes"),
        (json!({"notes": "bell\u{7}"}), "the notes"),
    ] {
        let res = ann.call(Method::PATCH, &contact, Some(body.clone())).await;
        refused(&format!("contact {body}"), res, field);
    }
    let (st, body) = ann
        .call(
            Method::PATCH,
            &contact,
            Some(json!({"first_name": "Véra", "notes": "line one\n\tline two 👩\u{200D}💻"})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["first_name"], "Véra");
    // Messages, both ways: line breaks and emoji sequences pass, marks and NUL do not.
    for text in [
        format!("hi {rlo}olleh"),
        "nul\u{0}".to_owned(),
        "\u{FEFF}bom".to_owned(),
    ] {
        let res = v
            .call(
                Method::POST,
                "/api/visitor/messages",
                Some(json!({"client_id": client_id(), "text": text})),
            )
            .await;
        refused("visitor message", res, "the message");
        let res = ann
            .call(
                Method::POST,
                &format!("{contact}/messages"),
                Some(json!({"client_id": client_id(), "text": text})),
            )
            .await;
        refused("agent message", res, "the message");
    }
    let said = v.say("two\nlines 👩\u{200D}💻").await;
    assert_eq!(said.text, "two\nlines 👩\u{200D}💻");
    // Nothing refused was stored.
    let (st, page) = ann
        .call(Method::GET, &format!("{contact}/conversation"), None)
        .await;
    assert_eq!(st, 200, "{page}");
    let texts = page.to_string();
    assert!(
        !texts.contains("\\u0000") && !texts.contains('\u{202E}'),
        "{texts}"
    );
}

/// A desktop and a widget dist with the bundler's inline bootstrap script in each page.
fn dists(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let desktop = root.join("desktop");
    let widget = root.join("widget");
    std::fs::create_dir_all(&desktop).expect("mkdir");
    std::fs::create_dir_all(&widget).expect("mkdir");
    let page = |title: &str| {
        format!(
            "<!doctype html><title>{title}</title><script type=\"module\">import init from '/{title}.js';await init();</script>"
        )
    };
    std::fs::write(desktop.join("index.html"), page("desk")).expect("write");
    std::fs::write(widget.join("frame.html"), page("frame")).expect("write");
    std::fs::write(widget.join("loader.js"), "/* loader */").expect("write");
    (desktop, widget)
}

fn script_hash(title: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let body = format!("import init from '/{title}.js';await init();");
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body.as_bytes()))
    )
}

async fn pages_carry_a_full_policy_and_the_widget_frame_only_allowed_parents(b: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (desktop, widget) = dists(dir.path());
    let s = Server::start(b, |c| {
        c.desktop_dir = Some(desktop);
        c.widget_dir = Some(widget);
        c.widget_origins = vec!["https://shop.example.com".to_owned()];
        c.embed_origins = vec!["https://portal.example.com".to_owned()];
    })
    .await;
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{}{path}", s.base);
        async move { client.get(url).send().await.expect("get") }
    };
    let csp = |r: &reqwest::Response| {
        r.headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let common_parts = [
        "default-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'none'",
    ];
    // The desktop: its bootstrap script by hash, WebAssembly, its portal as ancestor.
    let r = get("/".to_owned()).await;
    assert_eq!(r.status().as_u16(), 200);
    let policy = csp(&r);
    for part in common_parts {
        assert!(policy.contains(part), "desktop {policy:?} has {part:?}");
    }
    assert!(
        policy.contains(&format!(
            "script-src 'self' 'wasm-unsafe-eval' {}",
            script_hash("desk")
        )),
        "{policy}"
    );
    let script = policy
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap_or("");
    assert!(
        !script.contains("unsafe-inline") && !script.contains('*'),
        "{script}"
    );
    assert!(
        policy.contains("frame-ancestors 'self' https://portal.example.com"),
        "{policy}"
    );
    // The widget frame: for an allowed site, and for this server's own pages (the demo).
    let own = s.base.clone();
    for parent in ["https://shop.example.com", own.as_str()] {
        let r = get(format!("/widget/frame.html?parent={parent}")).await;
        assert_eq!(r.status().as_u16(), 200, "parent {parent}");
        let policy = csp(&r);
        for part in common_parts {
            assert!(policy.contains(part), "widget {policy:?} has {part:?}");
        }
        assert!(policy.contains(&script_hash("frame")), "{policy}");
        assert!(
            policy.contains("frame-ancestors 'self' https://shop.example.com"),
            "{policy}"
        );
        assert!(!policy.contains("frame-ancestors *"), "{policy}");
    }
    // Any other site, or a malformed parent, gets no frame.
    for parent in [
        "https://evil.example",
        "https://shop.example.com.evil.example",
        "null",
        "javascript:alert(1)",
    ] {
        let r = get(format!("/widget/frame.html?parent={parent}")).await;
        assert_eq!(r.status().as_u16(), 403, "parent {parent}");
        let body: Value = r.json().await.expect("json error");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let r = get(
        "/widget/frame.html?parent=https://shop.example.com&parent=https://evil.example".to_owned(),
    )
    .await;
    assert_eq!(r.status().as_u16(), 403);
    // The loader still loads from anywhere (a script tag on the company's page).
    let r = get("/widget/loader.js".to_owned()).await;
    assert_eq!(r.status().as_u16(), 200);
    // The demo page has headers too: it frames only this server and is framed by no one.
    let r = get("/demo".to_owned()).await;
    assert_eq!(r.status().as_u16(), 200);
    let policy = csp(&r);
    for part in common_parts {
        assert!(policy.contains(part), "demo {policy:?} has {part:?}");
    }
    assert!(policy.contains("frame-src 'self'") && policy.contains("frame-ancestors 'none'"));
    assert_eq!(
        r.headers()
            .get("x-content-type-options")
            .map(reqwest::header::HeaderValue::as_bytes),
        Some(&b"nosniff"[..])
    );
}

const BIN: &str = env!("CARGO_BIN_EXE_threadline-api");

#[tokio::test]
async fn a_widget_origin_that_is_not_an_origin_stops_the_server() {
    for bad in [
        "*",
        "https://shop.example.com; script-src *",
        "https://shop.example.com/path",
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = tokio::time::timeout(
            Duration::from_mins(1),
            tokio::process::Command::new(BIN)
                .args(["--addr", "127.0.0.1:0", "--demo", "--data-dir"])
                .arg(dir.path())
                .args(["--widget-origins", bad])
                .env_remove("THREADLINE_WIDGET_ORIGINS")
                .env_remove("DATABASE_URL")
                .stdin(std::process::Stdio::null())
                .kill_on_drop(true)
                .output(),
        )
        .await
        .expect("the server exits instead of starting")
        .expect("run the server");
        assert!(!out.status.success(), "{bad} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("is not an origin"), "{bad}: {stderr}");
        assert!(!dir.path().join("threadline.db").exists(), "{bad}: started");
    }
}
