//! A portal frames the desktop and drives it with `postMessage` (protocol `threadline/1`).
//!
//! # Layout
//! - `portal_logs_an_agent_in_and_drives_the_desktop`: the portal page (a second loopback
//!   server, on `localhost`, so another site than the desktop's `127.0.0.1`) frames the desktop,
//!   in a Chromium that blocks third-party cookies. A stranger's page (a third origin, framed
//!   by the portal page) posts `login` to the desktop first and hears nothing. The portal's
//!   back end asks for a login token with its secret; the page's `Log in` logs Ann in (the
//!   frame shows her desktop, the Events log `logged_in` and the result), `Set Ready` makes her
//!   Ready (`status_changed`), `Open contact` by the portal's customer id shows Priya Nair in
//!   the Communication tab (`place_changed`), `Log out` ends the session (`logged_out`), and
//!   the same token again is refused with the server's reason; an unknown command is
//!   `invalid`, and `Set Ready` while logged out `not_logged_in`.

mod harness;

use harness::{run_with, Browser, Harness, Options, PageServer, CHANNEL_STATUS_ROLES};
use threadline_api::config::EmbedPortal;

/// The portal's server-to-server secret (at least 32 bytes).
const SECRET: &str = "portal-secret-for-the-browser-test-0123456789";

/// The portal page: the desktop in a frame, buttons that post commands, a stranger's frame,
/// and the `Events` log of every message from the desktop.
fn portal_page(desktop: &str, stranger: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Portal</title></head>
<body>
<h1>Portal</h1>
<iframe title="Threadline" src="{desktop}/" width="1100" height="520"></iframe>
<p>
<label for="token">Login token</label> <input id="token" type="text">
<button type="button" id="login">Log in</button>
<button type="button" id="logout">Log out</button>
<button type="button" id="ready">Set Ready</button>
<label for="customer">Customer id</label> <input id="customer" type="text">
<button type="button" id="open">Open contact</button>
</p>
<h2 id="events-title">Events</h2>
<ul role="log" aria-labelledby="events-title" id="events"></ul>
<iframe title="Stranger" src="{stranger}/" width="600" height="200"></iframe>
<script>
{SCRIPT}
const desk = document.querySelector('iframe[title="Threadline"]');
const target = new URL(desk.src).origin;
let n = 0;
function send(type, fields) {{
  n += 1;
  desk.contentWindow.postMessage(Object.assign({{protocol: 'threadline/1', id: 'c' + n, type}}, fields), target);
}}
listen(target);
document.getElementById('login').onclick = () => send('login', {{token: document.getElementById('token').value}});
document.getElementById('logout').onclick = () => send('logout', {{}});
document.getElementById('ready').onclick = () => send('set_status', {{status: 'ready'}});
document.getElementById('open').onclick = () => send('open_contact', {{customer_id: document.getElementById('customer').value}});
</script>
</body></html>"#
    )
}

/// The stranger's page (not on the allowlist): posts `login` to the desktop frame next to it
/// and logs whatever comes back.
fn stranger_page() -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Stranger</title></head>
<body>
<label for="token">Login token</label> <input id="token" type="text">
<button type="button" id="login">Log in</button>
<h2 id="events-title">Events</h2>
<ul role="log" aria-labelledby="events-title" id="events"></ul>
<script>
{SCRIPT}
listen(null);
document.getElementById('login').onclick = () => parent.frames[0].postMessage(
  {{protocol: 'threadline/1', id: 's1', type: 'login', token: document.getElementById('token').value}}, '*');
</script>
</body></html>"#
    )
}

/// Shared by both pages: one line per message (`result c1 ok`, `logged_in Ann …`), from
/// `origin` only (any origin when `null`).
const SCRIPT: &str = r"
function line(d) {
  if (!d || d.protocol !== 'threadline/1') return null;
  let text = d.type;
  if (d.id) text += ' ' + d.id;
  if (d.ok === true) text += ' ok';
  if (d.ok === false) text += ' failed: ' + d.error.code + ': ' + d.error.message;
  for (const k of ['name', 'status', 'reason', 'url']) if (d[k]) text += ' ' + d[k];
  return text;
}
function listen(origin) {
  window.addEventListener('message', (ev) => {
    if (origin !== null && ev.origin !== origin) return;
    const text = line(ev.data);
    if (text === null) return;
    const li = document.createElement('li');
    li.textContent = text;
    document.getElementById('events').appendChild(li);
  });
}
";

/// A login token for `login`, as the portal's back end asks for it.
async fn login_token(h: &Harness, login: &str) -> harness::Result<String> {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(h.url("/api/embed/login-token"))
        .bearer_auth(SECRET)
        .json(&serde_json::json!({ "login": login }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(answer["token"]
        .as_str()
        .ok_or("no token in the answer")?
        .to_owned())
}

/// Waits until the portal's Events log has a line containing `part`.
async fn event(portal: &Browser, part: &str) -> harness::Result {
    portal.wait_text("log", "Events", part).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_logs_an_agent_in_and_drives_the_desktop() {
    let portal_server = PageServer::bind().expect("bind the portal's server");
    let stranger_server = PageServer::bind().expect("bind the stranger's server");
    let portal_origin = portal_server.origin("localhost").expect("portal origin");
    let stranger_origin = stranger_server
        .origin("127.0.0.1")
        .expect("stranger origin");
    let options = Options {
        configure: Box::new({
            let origin = portal_origin.clone();
            move |c| {
                c.embed_portals.push(EmbedPortal {
                    name: "portal".to_owned(),
                    origin,
                    secret: SECRET.to_owned(),
                });
            }
        }),
        ..Options::default()
    };
    run_with(
        "portal_logs_an_agent_in_and_drives_the_desktop",
        options,
        |h: Harness| async move {
            portal_server.serve(portal_page(h.base_url(), &stranger_origin))?;
            stranger_server.serve(stranger_page())?;
            let portal = h
                .browser_with_args("portal", &["--test-third-party-cookie-phaseout"])
                .await?;
            portal.goto_url(&format!("{portal_origin}/")).await?;
            event(&portal, "ready").await?;

            // A stranger's frame posts a login with a good token: nothing answers it.
            let token = login_token(&h, "ann").await?;
            portal.enter_frame("Stranger").await?;
            portal.fill("Login token", &token).await?;
            portal.click("button", "Log in").await?;
            portal.leave_frame().await?;

            // The portal logs Ann in with the same token.
            portal.fill("Login token", &token).await?;
            portal.click("button", "Log in").await?;
            event(&portal, "result c1 ok").await?;
            event(&portal, "logged_in Ann").await?;
            portal.enter_frame("Threadline").await?;
            portal
                .role(CHANNEL_STATUS_ROLES, "Chat channel status")
                .await?;
            // The frame is another site's, without access to its cookies (this Chromium reports
            // none with or without the switch): the login did without them.
            let cookies = portal
                .client
                .execute_async(
                    "const done = arguments[arguments.length - 1]; \
                     document.hasStorageAccess().then(done, () => done('error'));",
                    vec![],
                )
                .await?;
            if cookies != serde_json::Value::Bool(false) {
                return Err(format!("the frame has cookie access: {cookies}").into());
            }
            portal.leave_frame().await?;

            // Ready.
            portal.click("button", "Set Ready").await?;
            event(&portal, "result c2 ok").await?;
            event(&portal, "status_changed ready").await?;
            portal.enter_frame("Threadline").await?;
            let status = portal.role("combobox", "Chat channel status").await?;
            let value = status.prop("value").await?;
            if value.as_deref() != Some("ready") {
                return Err(format!("the status control shows {value:?}").into());
            }
            portal.leave_frame().await?;

            // A contact by the portal's own customer id.
            portal.fill("Customer id", "cust-1005").await?;
            portal.click("button", "Open contact").await?;
            event(&portal, "result c3 ok").await?;
            event(&portal, "place_changed /communication/").await?;
            portal.enter_frame("Threadline").await?;
            portal
                .wait_text("log", "Conversation", "delivery address of order 60231")
                .await?;
            portal.leave_frame().await?;

            // An unknown customer.
            portal.fill("Customer id", "cust-nobody").await?;
            portal.click("button", "Open contact").await?;
            event(&portal, "result c4 failed: unknown_contact").await?;

            // Log out, then the used token again.
            portal.click("button", "Log out").await?;
            event(&portal, "result c5 ok").await?;
            event(&portal, "logged_out").await?;
            portal.fill("Login token", &token).await?;
            portal.click("button", "Log in").await?;
            event(
                &portal,
                "result c6 failed: login_refused: this login link was already used",
            )
            .await?;

            // Nonsense gets `invalid`; a command that needs an agent, `not_logged_in`.
            portal
                .client
                .execute("send('fly', {to: 'the moon'});", vec![])
                .await?;
            event(&portal, "result c7 failed: invalid").await?;
            portal.click("button", "Set Ready").await?;
            event(&portal, "result c8 failed: not_logged_in").await?;

            // The stranger heard nothing all along.
            portal.enter_frame("Stranger").await?;
            let heard = portal.text_of("log", "Events").await?;
            if !heard.trim().is_empty() {
                return Err(format!("the stranger's page heard {heard:?}").into());
            }
            portal.leave_frame().await?;
            Ok(())
        },
    )
    .await;
}
