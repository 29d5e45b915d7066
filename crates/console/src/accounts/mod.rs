//! Agents: the accounts as administrators manage them. The table of every account (deactivated
//! ones included), `New agent`, and per account `Edit` (name, role, max chats), `Deactivate` /
//! `Reactivate` after a confirmation, and `Reset password`. The rules are the server's
//! (`wire::accounts`); the form checks the same ones first so most mistakes are said at once, and
//! whatever the server refuses (a login taken, the last administrator) is shown as it says it.
//!
//! # Layout
//! - `mod.rs`: the page, its shared state and the table.
//! - `new.rs`: the `New agent` form.
//! - `dialogs.rs`: the edit, confirmation and password dialogs.

mod dialogs;
mod new;

use crate::api::Api;
use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
pub use new::capitalized as sentence;
use wire::accounts::AccountView;

/// The dialog open over the table, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// Edit name, role and max chats.
    Edit(AccountView),
    /// Confirm a deactivation (`false`) or reactivation (`true`).
    Activate(AccountView, bool),
    /// Set a new password.
    Password(AccountView),
}

/// The page's state, as a context for its parts.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// Calls the API.
    pub api: Api,
    /// The accounts, by login (as the server lists them).
    pub list: RwSignal<Vec<AccountView>>,
    /// The open dialog.
    pub dialog: RwSignal<Option<Dialog>>,
    /// What went wrong loading the list (errors of a change show in its form or dialog).
    pub error: RwSignal<Option<String>>,
}

impl Accounts {
    /// Puts a changed or new account into the list (new ones in login order).
    pub fn put(&self, view: AccountView) {
        self.list.update(|list| {
            if let Some(row) = list.iter_mut().find(|a| a.agent.id == view.agent.id) {
                *row = view;
            } else {
                list.push(view);
                list.sort_by(|a, b| a.agent.login.cmp(&b.agent.login));
            }
        });
    }

    fn load(&self) {
        let this = self.clone();
        spawn_local(async move {
            match this.api.accounts().await {
                Ok(list) => {
                    this.list.set(list.accounts);
                    this.error.set(None);
                }
                Err(e) => this.error.set(Some(e.to_string())),
            }
        });
    }
}

/// The agents page.
#[component]
pub fn AgentsPage(
    /// Who asks (an administrator; the server refuses anyone else).
    session: Session,
) -> impl IntoView {
    let state = Accounts {
        api: session.api,
        list: RwSignal::new(Vec::new()),
        dialog: RwSignal::new(None),
        error: RwSignal::new(None),
    };
    state.load();
    provide_context(state.clone());
    let error = state.error;
    view! {
        <h1 class="page-title">"Agents"</h1>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <AccountsTable/>
        <new::NewAgentForm/>
        <dialogs::AccountDialog/>
    }
}

/// The words of an account's status.
pub fn status_label(active: bool) -> &'static str {
    if active {
        "Active"
    } else {
        "Deactivated"
    }
}

/// The table of accounts.
#[component]
fn AccountsTable() -> impl IntoView {
    let state = expect_context::<Accounts>();
    let (list, dialog) = (state.list, state.dialog);
    view! {
        <section aria-labelledby="accounts-heading">
            <h2 id="accounts-heading">"Accounts"</h2>
            <table class="report accounts" aria-labelledby="accounts-heading">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Login"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Max chats"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Actions"</th>
                </tr></thead>
                <tbody>
                    <For each=move || list.get() key=|a| format!("{a:?}") let:account>
                        <AccountRow account=account dialog=dialog/>
                    </For>
                </tbody>
            </table>
        </section>
    }
}

/// One account's row and its buttons.
#[component]
fn AccountRow(
    /// The account.
    account: AccountView,
    /// Where its buttons open their dialog.
    dialog: RwSignal<Option<Dialog>>,
) -> impl IntoView {
    let name = account.agent.display_name.clone();
    let active = account.active;
    let (edit, toggle, password) = (account.clone(), account.clone(), account.clone());
    let toggle_word = if active { "Deactivate" } else { "Reactivate" };
    view! {
        <tr>
            <th scope="row">{name.clone()}</th>
            <td>{account.agent.login.clone()}</td>
            <td>{account.agent.role.label()}</td>
            <td>{account.agent.capacity}</td>
            <td>{status_label(active)}</td>
            <td class="actions">
                <button type="button" class="small" aria-label=format!("Edit {name}")
                    on:click=move |_| dialog.set(Some(Dialog::Edit(edit.clone())))>"Edit"</button>
                <button type="button" class="small" aria-label=format!("{toggle_word} {name}")
                    on:click=move |_| dialog.set(Some(Dialog::Activate(toggle.clone(), !active)))>
                    {toggle_word}
                </button>
                <button type="button" class="small" aria-label=format!("Reset password of {name}")
                    on:click=move |_| dialog.set(Some(Dialog::Password(password.clone())))>
                    "Reset password"
                </button>
            </td>
        </tr>
    }
}
