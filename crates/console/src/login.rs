//! The console's login screen.

use crate::api::login;
use crate::session::SessionState;
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
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let (name, pass) = (username.get_untracked(), password.get_untracked());
        spawn_local(async move {
            match login(name.trim(), &pass).await {
                Ok(answer) => session.logged_in(answer.token, answer.agent),
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
                <h1 id="login-title">"Threadline console"</h1>
                <p class="sub">"For supervisors and administrators"</p>
                {move || session.notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                <label for="login-username">"Username"</label>
                <input id="login-username" type="text" autocomplete="username" required
                    bind:value=username/>
                <label for="login-password">"Password"</label>
                <input id="login-password" type="password" autocomplete="current-password"
                    required bind:value=password/>
                <button type="submit" class="primary" disabled=move || busy.get()>"Log in"</button>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </form>
        </main>
    }
}
