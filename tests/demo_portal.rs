//! The demo portal ("Acme CRM", `crates/demo-portal`) frames the desktop with `/embed.js`, and
//! a page whose origin is not on the list cannot frame it at all.
//!
//! # Layout
//! - `demo_portal_drives_the_desktop_and_strangers_cannot_frame_it`: the real server with the
//!   portal `demo` pointed at the demo portal, which runs from its library on a loopback port
//!   under `localhost` (another site than the desktop's `127.0.0.1`), in a Chromium that blocks
//!   third-party cookies. Choosing Ann and `Log in` shows her desktop in the frame (`logged_in`
//!   in the Events log), `Ready` makes her Ready (`status_changed`), `Open customer` shows the
//!   page's customer, Maria Lopez, in the frame's Communication tab, `Log out` ends it
//!   (`logged_out`). On the way, a message from another window than the frame is not passed on,
//!   and `destroy()` rejects a pending command with `destroyed`. Then a stranger's page (an origin not on the list) frames the desktop: the
//!   browser refuses (`frame-ancestors`) and shows its error document in the frame instead.
//!   With `THREADLINE_SCREENSHOT=1` it saves the README's `docs/portal.png` (then
//!   `pngquant --quality 70-95` keeps it small).

mod harness;

use harness::{
    run_with, save_readme_screenshot, wait_until, Browser, Harness, Options, PageServer,
    CHANNEL_STATUS_ROLES,
};
use threadline_api::config::EmbedPortal;

/// The portal's server-to-server secret in this test (at least 32 bytes).
const SECRET: &str = "demo-portal-secret-for-the-browser-test-0123";

/// Waits until the portal's Events log has a line containing `part`.
async fn event(portal: &Browser, part: &str) -> harness::Result {
    portal.wait_text("log", "Events", part).await.map(|_| ())
}

/// The frame's document URL (`chrome-error://…` when the browser refused to show the page).
async fn frame_url(browser: &Browser) -> harness::Result<String> {
    let url = browser
        .client
        .execute("return document.URL;", vec![])
        .await?;
    Ok(url.as_str().unwrap_or_default().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_portal_drives_the_desktop_and_strangers_cannot_frame_it() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the demo portal");
    let port = listener.local_addr().expect("portal address").port();
    // `localhost`: another site than the desktop's 127.0.0.1, so its cookies are third-party.
    let portal_origin = format!("http://localhost:{port}");
    let stranger_server = PageServer::bind().expect("bind the stranger's server");
    let stranger_origin = stranger_server
        .origin("127.0.0.1")
        .expect("stranger origin");
    let options = Options {
        configure: Box::new({
            let origin = portal_origin.clone();
            move |c| {
                c.embed_portals.push(EmbedPortal {
                    name: "demo".to_owned(),
                    origin,
                    secret: SECRET.to_owned(),
                });
            }
        }),
        ..Options::default()
    };
    run_with(
        "demo_portal_drives_the_desktop_and_strangers_cannot_frame_it",
        options,
        |h: Harness| async move {
            let config =
                threadline_demo_portal::Config::new(h.base_url(), Some(SECRET.to_owned()), false)?;
            let (stop_portal, portal_stopped) = tokio::sync::oneshot::channel::<()>();
            tokio::spawn(threadline_demo_portal::serve(listener, config, async move {
                let _ = portal_stopped.await;
            }));
            stranger_server.serve(format!(
                r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stranger</title></head>
<body><h1>Not a portal</h1><iframe title="Threadline" src="{}/" width="900" height="500"></iframe></body></html>"#,
                h.base_url()
            ))?;

            let portal = h
                .browser_with_args("portal", &["--test-third-party-cookie-phaseout"])
                .await?;
            portal.goto_url(&format!("{portal_origin}/")).await?;
            event(&portal, "ready").await?;

            // Ann logs in from the portal's picker: her desktop in the frame.
            portal.select("Agent", "Ann Archer").await?;
            portal.click("button", "Log in").await?;
            event(&portal, "Log in: ok").await?;
            event(&portal, "logged_in Ann Archer").await?;
            portal.enter_frame("Threadline").await?;
            portal
                .role(CHANNEL_STATUS_ROLES, "Chat channel status")
                .await?;
            portal.leave_frame().await?;

            // Ready.
            portal.click("button", "Ready").await?;
            event(&portal, "Ready: ok").await?;
            event(&portal, "status_changed ready").await?;

            // A message from another window than the frame (here the page itself, on the
            // portal's origin) is not the desktop's: embed.js drops it.
            portal
                .client
                .execute(
                    "window.postMessage({protocol: 'threadline/1', type: 'status_changed', \
                     status: 'forged-by-the-page'}, '*');",
                    vec![],
                )
                .await?;

            // The page's customer, by the portal's own customer id.
            portal.click("button", "Open customer").await?;
            event(&portal, "Open customer: ok").await?;
            event(&portal, "place_changed /communication/").await?;
            portal.enter_frame("Threadline").await?;
            portal
                .wait_text(
                    "log",
                    "Conversation",
                    "Do you sell waterproofing spray?",
                )
                .await?;
            portal.leave_frame().await?;
            save_readme_screenshot(&portal, "portal.png").await?;
            let heard = portal.text_of("log", "Events").await?;
            if heard.contains("forged-by-the-page") {
                return Err(format!("embed.js passed on a forged message: {heard}").into());
            }

            // A second embedding destroyed with a command pending: the command rejects with
            // `destroyed` and its frame is gone.
            let destroyed = portal
                .client
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     const box = document.createElement('div');
                     document.body.appendChild(box);
                     const d = Threadline.embed(box, {url: arguments[0] + '/'});
                     const pending = d.logout();
                     d.destroy();
                     pending.then(() => done('resolved'),
                       (e) => done(e.code + ' frames=' + box.querySelectorAll('iframe').length));",
                    vec![serde_json::Value::String(h.base_url().to_owned())],
                )
                .await?;
            if destroyed.as_str() != Some("destroyed frames=0") {
                return Err(format!("destroy() with a command pending: {destroyed}").into());
            }

            // Log out.
            portal.click("button", "Log out").await?;
            event(&portal, "Log out: ok").await?;
            event(&portal, "logged_out").await?;
            portal.enter_frame("Threadline").await?;
            portal.role("textbox", "Username").await?;
            let allowed = frame_url(&portal).await?;
            if !allowed.starts_with(h.base_url()) {
                return Err(format!("the portal's frame shows {allowed:?}").into());
            }
            portal.leave_frame().await?;

            // A page not on the list frames the desktop: the browser refuses to show it there.
            portal.goto_url(&format!("{stranger_origin}/")).await?;
            portal.enter_frame("Threadline").await?;
            let refused = wait_until(
                "the browser's error document in the stranger's frame",
                harness::default_timeout(),
                || async {
                    let url = frame_url(&portal).await?;
                    Ok(url.starts_with("chrome-error://").then_some(url))
                },
            )
            .await?;
            if portal.is_present("textbox", "Username").await?
                || portal.is_present("button", "Log in").await?
            {
                return Err(format!("the stranger's frame ({refused}) shows the desktop").into());
            }
            portal.leave_frame().await?;
            let _ = stop_portal.send(());
            Ok(())
        },
    )
    .await;
}
