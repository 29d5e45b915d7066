//! The login screen.

use crate::api::ApiClient;
use crate::notifications::state::ask_permission;
use crate::session::SessionState;
use crate::shell::state::Line;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// `Username`, `Password`, `Log in`, and what went wrong.
#[component]
pub fn Login() -> impl IntoView {
    let session = expect_context::<SessionState>();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // On a database without any account nobody can log in: say how to make the first one.
    let no_accounts = RwSignal::new(false);
    spawn_local(async move {
        if let Ok(setup) = ApiClient::new().setup().await {
            no_accounts.set(!setup.has_accounts);
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        ask_permission();
        busy.set(true);
        error.set(None);
        let (login, pass) = (username.get_untracked(), password.get_untracked());
        spawn_local(async move {
            match ApiClient::new().login(login.trim(), &pass).await {
                Ok((client, answer)) => session.logged_in(client, answer.agent),
                Err(e) => {
                    error.set(Some(e.to_string()));
                    busy.set(false);
                }
            }
        });
    };

    view! {
        <main class="login">
            <form class="login-form" on:submit=submit aria-labelledby="login-title">
                <h1 id="login-title">"Threadline"</h1>
                <p class="login-sub">"Agent desktop: asynchronous chat"</p>
                {move || session.notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                {move || no_accounts.get().then(|| view! {
                    <p class="notice first-run" role="status">
                        "No accounts yet. Create the first administrator with: "
                        <code>{wire::accounts::FIRST_ADMIN_COMMAND}</code>
                    </p>
                })}
                <label for="login-username">"Username"</label>
                <input id="login-username" name="username" type="text" autocomplete="username"
                    required bind:value=username/>
                <label for="login-password">"Password"</label>
                <input id="login-password" name="password" type="password"
                    autocomplete="current-password" required bind:value=password/>
                <button type="submit" class="primary" disabled=move || busy.get()>"Log in"</button>
                <Line text=error class="error"/>
            </form>
        </main>
    }
}
