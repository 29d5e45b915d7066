//! The dialogs over the accounts table: `Edit` (name, role, max chats), the confirmation of
//! `Deactivate` / `Reactivate`, and `Reset password`. Each shows the server's refusal (for
//! example the 409 for the last active administrator) in the dialog, which stays open.

use super::new::{capitalized, parse_capacity};
use super::{Accounts, Dialog};
use client::TransportError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::accounts::{check_password, AccountChange, AccountView};
use wire::Role;

/// Whichever dialog is open.
#[component]
pub fn AccountDialog() -> impl IntoView {
    let state = expect_context::<Accounts>();
    move || {
        state.dialog.get().map(|d| match d {
            Dialog::Edit(a) => view! { <EditDialog account=a/> }.into_any(),
            Dialog::Activate(a, active) => {
                view! { <ActivateDialog account=a active=active/> }.into_any()
            }
            Dialog::Password(a) => view! { <PasswordDialog account=a/> }.into_any(),
        })
    }
}

/// Runs a change; on success puts the account in the table and closes the dialog, otherwise
/// shows why in `error`.
fn run<F>(state: &Accounts, error: RwSignal<Option<String>>, call: F)
where
    F: std::future::Future<Output = Result<AccountView, TransportError>> + 'static,
{
    let state = state.clone();
    spawn_local(async move {
        match call.await {
            Ok(view) => {
                state.put(view);
                state.dialog.set(None);
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    });
}

/// The frame every dialog shares: title, body, error, the confirming button and `Cancel`.
#[component]
fn Frame(
    /// The dialog's title (also its accessible name).
    title: String,
    /// The confirming button's words.
    confirm: &'static str,
    /// What went wrong.
    error: RwSignal<Option<String>>,
    /// Called on submit.
    on_submit: Box<dyn Fn() + 'static>,
    /// The fields or text.
    children: Children,
) -> impl IntoView {
    let dialog = expect_context::<Accounts>().dialog;
    let label = title.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_submit();
    };
    view! {
        <div class="dialog-backdrop">
            <form class="dialog" role="dialog" aria-modal="true" aria-label=label on:submit=submit>
                <h2>{title}</h2>
                {children()}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                <div class="dialog-buttons">
                    <button type="submit" class="primary">{confirm}</button>
                    <button type="button" on:click=move |_| dialog.set(None)>"Cancel"</button>
                </div>
            </form>
        </div>
    }
}

/// Edit name, role and max chats.
#[component]
fn EditDialog(
    /// The account.
    account: AccountView,
) -> impl IntoView {
    let state = expect_context::<Accounts>();
    let error = RwSignal::new(None::<String>);
    let name = RwSignal::new(account.agent.display_name.clone());
    let role = RwSignal::new(account.agent.role.as_str().to_owned());
    let capacity = RwSignal::new(account.agent.capacity.to_string());
    let id = account.agent.id;
    let before = account.agent.clone();
    let on_submit = Box::new(move || {
        let capacity = match parse_capacity(&capacity.get_untracked()) {
            Ok(c) => c,
            Err(e) => return error.set(Some(e)),
        };
        let (new_name, new_role) = (name.get_untracked().trim().to_owned(), role.get_untracked());
        let new_role = Role::parse(&new_role).unwrap_or(before.role);
        // Only what changed is sent, so a role left alone is never "changed" to itself.
        let change = AccountChange {
            display_name: (new_name != before.display_name).then_some(new_name),
            capacity: (capacity != before.capacity).then_some(capacity),
            role: (new_role != before.role).then_some(new_role),
        };
        if let Err(e) = change.check() {
            return error.set(Some(capitalized(e)));
        }
        let api = state.api.clone();
        run(&state, error, async move {
            api.change_account(id, &change).await
        });
    });
    view! {
        <Frame title=format!("Edit {}", account.agent.display_name) confirm="Save" error=error
            on_submit=on_submit>
            <label>"Name"
                <input type="text" required prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <label>"Role"
                <select prop:value=move || role.get()
                    on:change=move |ev| role.set(event_target_value(&ev))>
                    {Role::ALL.iter().map(|r| {
                        let selected = r.as_str() == role.get_untracked();
                        view! { <option value=r.as_str() selected=selected>{r.label()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Max chats"
                <input type="number" min=wire::accounts::MIN_CAPACITY max=wire::accounts::MAX_CAPACITY
                    required prop:value=move || capacity.get()
                    on:input=move |ev| capacity.set(event_target_value(&ev))/>
            </label>
        </Frame>
    }
}

/// Confirms a deactivation or reactivation.
#[component]
fn ActivateDialog(
    /// The account.
    account: AccountView,
    /// Reactivate (`true`) or deactivate.
    active: bool,
) -> impl IntoView {
    let state = expect_context::<Accounts>();
    let error = RwSignal::new(None::<String>);
    let name = account.agent.display_name.clone();
    let id = account.agent.id;
    let (title, confirm, text) = if active {
        (
            format!("Reactivate {name}?"),
            "Reactivate",
            format!("{name} can log in again, starting Not Ready."),
        )
    } else {
        (
            format!("Deactivate {name}?"),
            "Deactivate",
            format!(
                "{name} can no longer log in: their sessions end, they go Not Ready and the \
                 chats offered to them go back to the queue."
            ),
        )
    };
    let on_submit = Box::new(move || {
        let api = state.api.clone();
        run(&state, error, async move {
            api.set_account_active(id, active).await
        });
    });
    view! {
        <Frame title=title confirm=confirm error=error on_submit=on_submit>
            <p>{text}</p>
        </Frame>
    }
}

/// Sets a new password.
#[component]
fn PasswordDialog(
    /// The account.
    account: AccountView,
) -> impl IntoView {
    let state = expect_context::<Accounts>();
    let error = RwSignal::new(None::<String>);
    let password = RwSignal::new(String::new());
    let id = account.agent.id;
    let on_submit = Box::new(move || {
        let text = password.get_untracked();
        if let Err(e) = check_password(&text) {
            return error.set(Some(capitalized(e)));
        }
        let api = state.api.clone();
        run(&state, error, async move {
            api.reset_account_password(id, text).await
        });
    });
    view! {
        <Frame title=format!("Reset password of {}", account.agent.display_name)
            confirm="Set password" error=error on_submit=on_submit>
            <p>"Every session of the account ends; tell the person the new password."</p>
            <label>"New password"
                <input type="password" required autocomplete="new-password"
                    prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev))/>
            </label>
        </Frame>
    }
}
