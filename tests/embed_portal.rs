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
//!   `invalid`, and `Set Ready` while logged out `not_logged_in`. Between them: Not Ready with
//!   the reason `break` (`status_changed not_ready break`, the frame's control shows it), and
//!   the contact opened by Threadline's own id (an unknown id `unknown_contact`).
//! - `portal_follows_a_chat_from_offer_to_done`: the same page and frame; the portal logs Ann in
//!   and sets her Ready; a visitor writes (`offer_received`), the portal's `Accept offer`
//!   accepts it (`offer_accepted`, `interaction_opened`, the result names the interaction);
//!   Ann and the visitor exchange messages in the frame; the portal's `Compose` puts text in
//!   Ann's message field, unsent; `End chat` (`interaction_ended`) and `Mark Done` with a
//!   disposition (`interaction_done`); `Reject offer` with no offer is `no_offer`; the portal
//!   opens Priya Nair by customer id and starts a chat with her (`interaction_opened`), opens
//!   that interaction again by id; the visitor writes again after Done (`contact_responded`,
//!   `unread_changed`); an unknown interaction and an empty text are refused; another
//!   visitor's offer is rejected from the portal by its id (`offer_rejected`); an
//!   administrator erases a contact (`contact_erased` with the contact's id).

mod harness;

use harness::{
    default_timeout, run_with, wait_until, ApiUser, Browser, Harness, Options, PageServer,
    CHANNEL_STATUS_ROLES,
};
use serde_json::Value;
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
<button type="button" id="start">Start chat</button>
<button type="button" id="accept">Accept offer</button>
<button type="button" id="reject">Reject offer</button>
<label for="compose-text">Compose text</label> <input id="compose-text" type="text">
<button type="button" id="compose">Compose</button>
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
document.getElementById('start').onclick = () => send('start_chat', {{customer_id: document.getElementById('customer').value}});
document.getElementById('accept').onclick = () => send('accept_offer', {{}});
document.getElementById('reject').onclick = () => send('reject_offer', {{}});
document.getElementById('compose').onclick = () => send('compose', {{text: document.getElementById('compose-text').value}});
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

/// Shared by both pages: one line per message (`result c1 ok`, `logged_in Ann …`,
/// `interaction_opened 12 Priya Nair web_chat`), from `origin` only (any origin when `null`);
/// every message heard is also kept in `window.heard`.
const SCRIPT: &str = r"
const FIELDS = ['interaction_id', 'name', 'contact_name', 'channel', 'status', 'reason', 'url',
  'first_words', 'disposition', 'count'];
function line(d) {
  if (!d || d.protocol !== 'threadline/1') return null;
  let text = d.type;
  if (d.id) text += ' ' + d.id;
  if (d.ok === true) text += ' ok';
  if (d.ok === false) text += ' failed: ' + d.error.code + ': ' + d.error.message;
  for (const k of FIELDS) if (d[k] !== undefined && d[k] !== null && d[k] !== '') text += ' ' + d[k];
  return text;
}
window.heard = [];
function listen(origin) {
  window.addEventListener('message', (ev) => {
    if (origin !== null && ev.origin !== origin) return;
    const text = line(ev.data);
    if (text === null) return;
    window.heard.push(ev.data);
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

/// Waits until the portal page has heard a message of type `kind` for which `matches` holds
/// (the newest such); returns it.
async fn heard(
    portal: &Browser,
    kind: &str,
    matches: impl Fn(&Value) -> bool,
) -> harness::Result<Value> {
    let what = format!("the portal to hear {kind}");
    wait_until(&what, default_timeout(), || async {
        let all = portal
            .client
            .execute("return window.heard || [];", vec![])
            .await?;
        Ok(all.as_array().and_then(|a| {
            a.iter()
                .rev()
                .find(|m| m["type"] == kind && matches(m))
                .cloned()
        }))
    })
    .await
}

/// The frame's `Chat channel status` control holds `value` (`ready`, `not_ready:break`).
async fn frame_status_is(portal: &Browser, value: &str) -> harness::Result {
    portal.enter_frame("Threadline").await?;
    let shown = portal
        .role("combobox", "Chat channel status")
        .await?
        .prop("value")
        .await?;
    portal.leave_frame().await?;
    if shown.as_deref() != Some(value) {
        return Err(format!("the status control shows {shown:?}, not {value}").into());
    }
    Ok(())
}

/// The frame's Conversation shows Priya Nair's (the seeded customer `cust-1005`).
async fn frame_shows_priya(portal: &Browser) -> harness::Result {
    portal.enter_frame("Threadline").await?;
    portal
        .wait_text("log", "Conversation", "delivery address of order 60231")
        .await?;
    portal.leave_frame().await
}

/// The test's server with the portal on `origin`.
fn portal_options(origin: String) -> Options {
    Options {
        configure: Box::new(move |c| {
            c.embed_portals.push(EmbedPortal {
                name: "portal".to_owned(),
                origin,
                secret: SECRET.to_owned(),
            });
        }),
        ..Options::default()
    }
}

/// The portal's page server (on `localhost`, another site than the desktop's `127.0.0.1`)
/// and the stranger's (another origin again), bound before the server starts so the portal's
/// origin can go on its allowlist.
struct Pages {
    /// Serves the portal page.
    portal: PageServer,
    /// `http://localhost:<port>`.
    portal_origin: String,
    /// Serves the stranger's page.
    stranger: PageServer,
    /// `http://127.0.0.1:<port>`.
    stranger_origin: String,
}

impl Pages {
    fn bind() -> Pages {
        let portal = PageServer::bind().expect("bind the portal's server");
        let stranger = PageServer::bind().expect("bind the stranger's server");
        let portal_origin = portal.origin("localhost").expect("portal origin");
        let stranger_origin = stranger.origin("127.0.0.1").expect("stranger origin");
        Pages {
            portal,
            portal_origin,
            stranger,
            stranger_origin,
        }
    }

    /// Serves both pages and opens the portal in a Chromium that blocks third-party cookies,
    /// once the framed desktop has said `ready`.
    async fn open(self, h: &Harness) -> harness::Result<Browser> {
        self.portal
            .serve(portal_page(h.base_url(), &self.stranger_origin))?;
        self.stranger.serve(stranger_page())?;
        let portal = h
            .browser_with_args("portal", &["--test-third-party-cookie-phaseout"])
            .await?;
        portal.goto_url(&format!("{}/", self.portal_origin)).await?;
        event(&portal, "ready").await?;
        Ok(portal)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_logs_an_agent_in_and_drives_the_desktop() {
    let pages = Pages::bind();
    let options = portal_options(pages.portal_origin.clone());
    run_with(
        "portal_logs_an_agent_in_and_drives_the_desktop",
        options,
        |h: Harness| async move {
            let portal = pages.open(&h).await?;

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
            frame_status_is(&portal, "ready").await?;

            // A contact by the portal's own customer id.
            portal.fill("Customer id", "cust-1005").await?;
            portal.click("button", "Open contact").await?;
            event(&portal, "result c3 ok").await?;
            event(&portal, "place_changed /communication/").await?;
            frame_shows_priya(&portal).await?;

            // An unknown customer.
            portal.fill("Customer id", "cust-nobody").await?;
            portal.click("button", "Open contact").await?;
            event(&portal, "result c4 failed: unknown_contact").await?;

            // Not Ready with a reason: the frame's status control follows.
            portal
                .client
                .execute(
                    "send('set_status', {status: 'not_ready', reason: 'break'});",
                    vec![],
                )
                .await?;
            event(&portal, "result c5 ok").await?;
            event(&portal, "status_changed not_ready break").await?;
            frame_status_is(&portal, "not_ready:break").await?;
            // The contact shown by the customer id, opened again by Threadline's own id.
            let place = heard(&portal, "place_changed", |m| {
                m["url"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("/communication/"))
            })
            .await?;
            let priya: i64 = place["url"]
                .as_str()
                .and_then(|u| {
                    u.trim_start_matches("/communication/")
                        .split(['/', '?'])
                        .next()
                })
                .and_then(|id| id.parse().ok())
                .ok_or_else(|| format!("no contact id in {place}"))?;
            portal
                .client
                .execute(
                    &format!("send('open_contact', {{contact_id: {priya}}});"),
                    vec![],
                )
                .await?;
            event(&portal, "result c6 ok").await?;
            frame_shows_priya(&portal).await?;
            portal
                .client
                .execute("send('open_contact', {contact_id: 987654321});", vec![])
                .await?;
            event(&portal, "result c7 failed: unknown_contact").await?;

            // Log out, then the used token again.
            portal.click("button", "Log out").await?;
            event(&portal, "result c8 ok").await?;
            event(&portal, "logged_out").await?;
            portal.fill("Login token", &token).await?;
            portal.click("button", "Log in").await?;
            event(
                &portal,
                "result c9 failed: login_refused: this login link was already used",
            )
            .await?;

            // Nonsense gets `invalid`; a command that needs an agent, `not_logged_in`.
            portal
                .client
                .execute("send('fly', {to: 'the moon'});", vec![])
                .await?;
            event(&portal, "result c10 failed: invalid").await?;
            portal.click("button", "Set Ready").await?;
            event(&portal, "result c11 failed: not_logged_in").await?;

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

/// The visitor's conversation as text (what the widget would show).
async fn visitor_sees(visitor: &ApiUser) -> harness::Result<String> {
    Ok(visitor.get("/api/visitor/conversation").await?.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_follows_a_chat_from_offer_to_done() {
    let pages = Pages::bind();
    let options = portal_options(pages.portal_origin.clone());
    run_with(
        "portal_follows_a_chat_from_offer_to_done",
        options,
        |h: Harness| async move {
            let portal = pages.open(&h).await?;

            // c1, c2: Ann logs in through the portal and goes Ready.
            let token = login_token(&h, "ann").await?;
            portal.fill("Login token", &token).await?;
            portal.click("button", "Log in").await?;
            event(&portal, "result c1 ok").await?;
            event(&portal, "logged_in Ann").await?;
            portal.click("button", "Set Ready").await?;
            event(&portal, "result c2 ok").await?;
            event(&portal, "status_changed ready").await?;

            // A visitor writes: the offer reaches the portal.
            let visitor = ApiUser::visitor(&h, None, "Vera Visitor").await?;
            visitor.visitor_says("Do you ship to Iceland?").await?;
            let offer = heard(&portal, "offer_received", |m| {
                m["contact_name"] == "Vera Visitor"
            })
            .await?;
            let id = offer["interaction_id"]
                .as_i64()
                .ok_or_else(|| format!("no interaction id in {offer}"))?;
            if offer["channel"] != "web_chat"
                || offer["first_words"] != "Do you ship to Iceland?"
                || !offer["contact_id"].is_i64()
                || !offer["expires_at"].is_i64()
            {
                return Err(format!("the offer event is not complete: {offer}").into());
            }
            event(
                &portal,
                &format!("offer_received {id} Vera Visitor web_chat Do you ship to Iceland?"),
            )
            .await?;
            portal.enter_frame("Threadline").await?;
            portal
                .role("alertdialog", "Chat offer: Vera Visitor")
                .await?;
            portal.leave_frame().await?;

            // c3: the portal accepts it; the frame shows the chat.
            portal.click("button", "Accept offer").await?;
            event(&portal, &format!("result c3 ok {id}")).await?;
            event(&portal, &format!("offer_accepted {id}")).await?;
            event(
                &portal,
                &format!("interaction_opened {id} Vera Visitor web_chat"),
            )
            .await?;
            portal.enter_frame("Threadline").await?;
            portal
                .role("region", "Chat Interaction: Vera Visitor")
                .await?;
            portal
                .wait_text("log", "Transcript", "Do you ship to Iceland?")
                .await?;

            // Ann and the visitor exchange messages.
            portal.fill("Message", "Yes, we ship to Iceland.").await?;
            portal.click("button", "Send").await?;
            portal
                .wait_text("log", "Transcript", "Yes, we ship to Iceland.")
                .await?;
            wait_until(
                "the visitor to get the answer",
                default_timeout(),
                || async {
                    Ok(visitor_sees(&visitor)
                        .await?
                        .contains("Yes, we ship to Iceland.")
                        .then_some(()))
                },
            )
            .await?;
            visitor.visitor_says("How long does it take?").await?;
            portal
                .wait_text("log", "Transcript", "How long does it take?")
                .await?;
            portal.leave_frame().await?;

            // c4: the portal writes into Ann's message field; nothing is sent.
            let composed = "About five working days.";
            portal.fill("Compose text", composed).await?;
            portal.click("button", "Compose").await?;
            event(&portal, "result c4 ok").await?;
            portal.enter_frame("Threadline").await?;
            let field = portal.role("textbox", "Message").await?;
            wait_until(
                "the composed text in the field",
                default_timeout(),
                || async {
                    Ok((field.prop("value").await?.as_deref() == Some(composed)).then_some(()))
                },
            )
            .await?;
            if portal
                .text_of("log", "Transcript")
                .await?
                .contains(composed)
            {
                return Err("the composed text was sent".into());
            }

            // End chat, then Mark Done with a disposition.
            portal.click("button", "End chat").await?;
            portal.role("button", "Mark Done").await?;
            portal.leave_frame().await?;
            event(&portal, &format!("interaction_ended {id}")).await?;
            portal.enter_frame("Threadline").await?;
            portal.select("Disposition", "Resolved").await?;
            portal.click("button", "Mark Done").await?;
            portal
                .wait_gone("region", "Chat Interaction: Vera Visitor")
                .await?;
            portal.leave_frame().await?;
            event(&portal, &format!("interaction_done {id} resolved")).await?;
            if visitor_sees(&visitor).await?.contains(composed) {
                return Err("the visitor got the composed text".into());
            }

            // c5: no offer is open.
            portal.click("button", "Reject offer").await?;
            event(&portal, "result c5 failed: no_offer").await?;

            // c6, c7: Priya Nair by the portal's customer id, then a chat with her.
            portal.fill("Customer id", "cust-1005").await?;
            portal.click("button", "Open contact").await?;
            event(&portal, "result c6 ok").await?;
            frame_shows_priya(&portal).await?;
            portal.click("button", "Start chat").await?;
            let opened = heard(&portal, "interaction_opened", |m| {
                m["contact_name"] == "Priya Nair"
            })
            .await?;
            let started = opened["interaction_id"]
                .as_i64()
                .ok_or_else(|| format!("no interaction id in {opened}"))?;
            event(&portal, &format!("result c7 ok {started}")).await?;
            event(
                &portal,
                &format!("interaction_opened {started} Priya Nair web_chat"),
            )
            .await?;
            portal.enter_frame("Threadline").await?;
            portal
                .role("region", "Chat Interaction: Priya Nair")
                .await?;
            portal.leave_frame().await?;

            // c8, c9: back to her contact, then her interaction again by id.
            portal.click("button", "Open contact").await?;
            event(&portal, "result c8 ok").await?;
            portal
                .client
                .execute(
                    "send('open_interaction', {interaction_id: arguments[0]});",
                    vec![started.into()],
                )
                .await?;
            event(&portal, "result c9 ok").await?;
            portal.enter_frame("Threadline").await?;
            portal
                .role("region", "Chat Interaction: Priya Nair")
                .await?;
            portal.leave_frame().await?;

            // The visitor writes again after Done: Ann, who wrote last, hears it.
            visitor
                .visitor_says("One more thing: do you ship to Greenland?")
                .await?;
            heard(&portal, "contact_responded", |m| {
                m["contact_name"] == "Vera Visitor"
            })
            .await?;
            event(
                &portal,
                "contact_responded Vera Visitor One more thing: do you ship to Greenland?",
            )
            .await?;
            let unread = heard(&portal, "unread_changed", |m| m["count"].is_u64()).await?;
            event(&portal, &format!("unread_changed {}", unread["count"])).await?;

            // c10, c11: a Done interaction cannot be opened; an empty text is not composed.
            portal
                .client
                .execute(
                    "send('open_interaction', {interaction_id: arguments[0]});",
                    vec![id.into()],
                )
                .await?;
            event(&portal, "result c10 failed: unknown_interaction").await?;
            portal
                .client
                .execute("send('compose', {text: '   '});", vec![])
                .await?;
            event(&portal, "result c11 failed: invalid").await?;

            // c12: another visitor's offer, rejected from the portal by its id.
            let other = ApiUser::visitor(&h, None, "Rolf Rejected").await?;
            other.visitor_says("Is anyone there?").await?;
            let offer = heard(&portal, "offer_received", |m| {
                m["contact_name"] == "Rolf Rejected"
            })
            .await?;
            let rejected = offer["interaction_id"]
                .as_i64()
                .ok_or_else(|| format!("no interaction id in {offer}"))?;
            portal
                .client
                .execute(
                    "send('reject_offer', {interaction_id: arguments[0]});",
                    vec![rejected.into()],
                )
                .await?;
            event(&portal, "result c12 ok").await?;
            event(&portal, &format!("offer_rejected {rejected}")).await?;
            portal.enter_frame("Threadline").await?;
            portal
                .wait_gone("alertdialog", "Chat offer: Rolf Rejected")
                .await?;
            portal.leave_frame().await?;

            // An administrator erases Omar Haddad at his request: the portal, which may keep
            // his id, is told to forget it.
            let ada = ApiUser::agent(&h, "ada", "ada-pass-1").await?;
            let omar = ada.contact_id("Omar Haddad").await?;
            ada.delete(&format!("/api/admin/contacts/{omar}")).await?;
            heard(&portal, "contact_erased", |m| m["contact_id"] == omar).await?;
            event(&portal, "contact_erased").await?;
            Ok(())
        },
    )
    .await;
}
