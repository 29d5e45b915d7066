//! Audit log: every administrative change (who, what, when, before and after), newest first,
//! filtered by who, what action, what kind of thing and a period of days, a page at a time
//! (`Show more` continues below the last row with the server's keyset cursor).
//!
//! # Layout
//! - `mod.rs`: the page: the filters, the table, `Show more`.
//! - `filters.rs`: the filters as the form holds them and the query they make.

mod filters;

use crate::session::Session;
use filters::Filters;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::accounts::AuditAction;
use wire::accounts::{AccountView, AuditRecord};

/// The audit log page.
#[component]
pub fn AuditPage(
    /// Who asks (an administrator).
    session: Session,
) -> impl IntoView {
    let api = session.api;
    let filters = RwSignal::new(Filters::default());
    let entries = RwSignal::new(Vec::<AuditRecord>::new());
    let next = RwSignal::new(None::<i64>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let accounts = RwSignal::new(Vec::<AccountView>::new());
    {
        let api = api.clone();
        spawn_local(async move {
            // Only for the "Who" choices; the log itself works without it.
            if let Ok(list) = api.accounts().await {
                accounts.set(list.accounts);
            }
        });
    }
    let fetch = {
        let api = api.clone();
        move |more: bool| {
            let query = match filters.get_untracked().query() {
                Ok(q) => q,
                Err(e) => return error.set(Some(e)),
            };
            let mut query = query;
            if more {
                match next.get_untracked() {
                    Some(before) => query.push(("before", before.to_string())),
                    None => return,
                }
            }
            let api = api.clone();
            busy.set(true);
            spawn_local(async move {
                match api.audit(&query).await {
                    Ok(page) => {
                        if more {
                            entries.update(|e| e.extend(page.entries));
                        } else {
                            entries.set(page.entries);
                        }
                        next.set(page.next_before);
                        error.set(None);
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
                busy.set(false);
            });
        }
    };
    fetch(false);
    let show = {
        let fetch = fetch.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            fetch(false);
        }
    };
    let text = move |label: &'static str,
                     list: &'static str,
                     get: fn(&Filters) -> String,
                     set: fn(&mut Filters, String)| {
        view! {
            <label>{label}
                <input type="text" list=list autocomplete="off"
                    prop:value=move || filters.with(get)
                    on:input=move |ev| filters.update(|f| set(f, event_target_value(&ev)))/>
            </label>
        }
    };
    let date =
        move |label: &'static str, get: fn(&Filters) -> String, set: fn(&mut Filters, String)| {
            view! {
                <label>{label}
                    <input type="date" prop:value=move || filters.with(get)
                        on:change=move |ev| filters.update(|f| set(f, event_target_value(&ev)))/>
                </label>
            }
        };
    view! {
        <h1 class="page-title">"Audit log"</h1>
        <form class="report-form" aria-label="Audit log filters" on:submit=show>
            <label>"Who"
                <select on:change=move |ev| filters.update(|f| f.actor = event_target_value(&ev))>
                    <option value="">"Anyone"</option>
                    {move || accounts.get().into_iter().map(|a| view! {
                        <option value=a.agent.id.0.to_string()>
                            {format!("{} ({})", a.agent.display_name, a.agent.login)}
                        </option>
                    }).collect_view()}
                </select>
            </label>
            {text("Action", "audit-actions", |f| f.action.clone(), |f, v| f.action = v)}
            <datalist id="audit-actions">
                {AuditAction::ALL.iter().map(|a| view! { <option value=a.code()>{a.label()}</option> }).collect_view()}
            </datalist>
            {text("Target kind", "audit-kinds", |f| f.target_kind.clone(), |f, v| f.target_kind = v)}
            <datalist id="audit-kinds">
                {AuditAction::target_kinds().into_iter().map(|k| view! { <option value=k></option> }).collect_view()}
            </datalist>
            {date("From", |f| f.from.clone(), |f, v| f.from = v)}
            {date("To", |f| f.to.clone(), |f, v| f.to = v)}
            <button type="submit" class="primary" disabled=move || busy.get()>"Filter"</button>
        </form>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <table class="report audit" aria-label="Audit log">
            <thead><tr>
                <th scope="col">"When"</th>
                <th scope="col">"Who"</th>
                <th scope="col">"What"</th>
                <th scope="col">"Target"</th>
                <th scope="col">"Before"</th>
                <th scope="col">"After"</th>
            </tr></thead>
            <tbody>
                <For each=move || entries.get() key=|e| e.id let:entry>
                    <AuditRow entry=entry/>
                </For>
            </tbody>
        </table>
        {move || (entries.with(Vec::is_empty) && !busy.get())
            .then(|| view! { <p role="status">"No changes match."</p> })}
        {move || next.get().is_some().then(|| {
            let fetch = fetch.clone();
            view! {
                <button type="button" disabled=move || busy.get() on:click=move |_| fetch(true)>
                    "Show more"
                </button>
            }
        })}
    }
}

/// One change.
#[component]
fn AuditRow(
    /// The change.
    entry: AuditRecord,
) -> impl IntoView {
    // No account made it: the command line, a portal's back end, or the server itself (a
    // contact erased past the retention).
    let who = entry
        .actor_login
        .clone()
        .unwrap_or_else(|| "system".to_owned());
    let json =
        |v: &Option<serde_json::Value>| v.as_ref().map_or_else(|| "—".to_owned(), filters::compact);
    view! {
        <tr>
            <td>{filters::when(entry.at)}</td>
            <td>{who}</td>
            <td>{filters::action_label(&entry.action)} <small>{entry.action.clone()}</small></td>
            <td>{format!("{} {}", entry.target_kind, entry.target_id)}</td>
            <td class="json">{json(&entry.before)}</td>
            <td class="json">{json(&entry.after)}</td>
        </tr>
    }
}
