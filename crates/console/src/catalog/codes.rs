//! `Disposition codes` and `Not Ready reasons`: the list in the order agents see it, each with
//! its label to edit, `Retire` (or `Restore`) and moves up and down; and `Add` for a new code.
//! A retired code stays listed (past interactions and reports carry it) but agents no longer
//! get it.

use super::Kind;
use crate::api::Api;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::catalog::{CodeChange, CodeOrder, CodeView, NewCode};

/// The page of one kind of code.
#[component]
pub fn CodesPage(
    /// The caller.
    api: Api,
    /// Which codes.
    kind: Kind,
) -> impl IntoView {
    let codes = RwSignal::new(None::<Vec<CodeView>>);
    let error = RwSignal::new(None::<String>);
    let notice = RwSignal::new(None::<String>);
    let new_code = RwSignal::new(String::new());
    let new_label = RwSignal::new(String::new());
    let reload = {
        let api = api.clone();
        move || {
            let api = api.clone();
            spawn_local(async move {
                match api.codes(kind).await {
                    Ok(list) => codes.set(Some(list.codes)),
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        }
    };
    reload();
    let outcome = move |result: Result<(), client::TransportError>, done: &str| match result {
        Ok(()) => {
            error.set(None);
            notice.set(Some(done.to_owned()));
        }
        Err(e) => {
            notice.set(None);
            error.set(Some(e.to_string()));
        }
    };
    let add = {
        let (api, reload) = (api.clone(), reload.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let new = NewCode {
                code: new_code.get_untracked().trim().to_owned(),
                label: new_label.get_untracked().trim().to_owned(),
            };
            if let Err(e) = new.check() {
                error.set(Some(e));
                return;
            }
            let (api, reload) = (api.clone(), reload.clone());
            spawn_local(async move {
                let result = api.add_code(kind, &new).await.map(drop);
                if result.is_ok() {
                    new_code.set(String::new());
                    new_label.set(String::new());
                }
                outcome(result, "Added.");
                reload();
            });
        }
    };
    let change = {
        let (api, reload) = (api.clone(), reload.clone());
        Callback::new(move |(code, change): (String, CodeChange)| {
            if let Err(e) = change.check() {
                error.set(Some(e));
                return;
            }
            let done = match change.active {
                Some(false) => "Retired.",
                Some(true) => "Restored.",
                None => "Saved.",
            };
            let (api, reload) = (api.clone(), reload.clone());
            spawn_local(async move {
                let result = api.change_code(kind, &code, &change).await.map(drop);
                outcome(result, done);
                reload();
            });
        })
    };
    let mv = Callback::new(move |(from, up): (usize, bool)| {
        let Some(mut order) = codes.with_untracked(|c| {
            c.as_ref()
                .map(|c| c.iter().map(|c| c.code.clone()).collect::<Vec<_>>())
        }) else {
            return;
        };
        let to = if up {
            from.checked_sub(1)
        } else {
            Some(from + 1)
        };
        let Some(to) = to.filter(|t| *t < order.len()) else {
            return;
        };
        order.swap(from, to);
        let (api, reload) = (api.clone(), reload.clone());
        spawn_local(async move {
            let result = api
                .reorder_codes(kind, &CodeOrder { codes: order })
                .await
                .map(drop);
            outcome(result, "Order saved.");
            reload();
        });
    });
    view! {
        <h1 class="page-title">{kind.title()}</h1>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        {move || match codes.get() {
            None => view! { <p role="status">"Loading…"</p> }.into_any(),
            Some(list) => {
                let last = list.len().saturating_sub(1);
                view! {
                    <ol class="code-list" aria-label=kind.title()>
                        {list.into_iter().enumerate().map(|(i, c)| view! {
                            <CodeRow code=c first={i == 0} last={i == last} index=i change=change mv=mv/>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }
        }}
        <form class="code-form" on:submit=add aria-label="Add">
            <label>"Code" <input type="text" bind:value=new_code/></label>
            <label>"Label" <input type="text" bind:value=new_label/></label>
            <button type="submit" class="primary">"Add"</button>
        </form>
    }
}

/// One code: its label to edit, `Retire`/`Restore`, `Move up`/`Move down`.
#[component]
fn CodeRow(
    /// The code.
    code: CodeView,
    /// Whether it is first (no `Move up`).
    first: bool,
    /// Whether it is last (no `Move down`).
    last: bool,
    /// Its place in the list.
    index: usize,
    /// Saves a change of it.
    change: Callback<(String, CodeChange)>,
    /// Moves the code at a place up (`true`) or down.
    mv: Callback<(usize, bool)>,
) -> impl IntoView {
    let label = RwSignal::new(code.label.clone());
    let (c1, c2) = (code.code.clone(), code.code.clone());
    let active = code.active;
    let name = code.label.clone();
    view! {
        <li class=if active { "code" } else { "code retired" }>
            <input type="text" aria-label=format!("Label of {}", code.code) bind:value=label/>
            <span class="code-value">{code.code.clone()}</span>
            {(!active).then(|| view! { <span class="badge">"Retired"</span> })}
            <button type="button" aria-label=format!("Save the label of {}", code.code)
                on:click=move |_| change.run((c1.clone(), CodeChange {
                    label: Some(label.get_untracked().trim().to_owned()),
                    active: None,
                }))>"Save"</button>
            <button type="button"
                aria-label=format!("{} {name}", if active { "Retire" } else { "Restore" })
                on:click=move |_| change.run((c2.clone(), CodeChange {
                    label: None,
                    active: Some(!active),
                }))>{if active { "Retire" } else { "Restore" }}</button>
            {(!first).then(|| view! {
                <button type="button" aria-label=format!("Move up: {}", code.label)
                    on:click=move |_| mv.run((index, true))>"Move up"</button>
            })}
            {(!last).then(|| view! {
                <button type="button" aria-label=format!("Move down: {}", code.label)
                    on:click=move |_| mv.run((index, false))>"Move down"</button>
            })}
        </li>
    }
}
