//! `Standard Responses`: the category tree with the responses in it, `Search responses`, a
//! category form (add, rename, move, delete when empty) and a response form (`Title`,
//! `Category`, `Text`) with a live `Preview` filled from a sample contact and the
//! administrator's own name, as an agent's `Insert` would fill it.

use crate::api::Api;
use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::api::ResponseTree;
use wire::catalog::{CategoryForm, ResponseForm};
use wire::model::field_codes;
use wire::{CategoryId, ResponseId, StandardResponse};

/// The sample contact the preview is filled from.
const SAMPLE_FIRST: &str = "Maria";
const SAMPLE_LAST: &str = "Garcia";

/// What the page holds.
#[derive(Clone, Copy)]
struct Page {
    /// The tree as last read (none while loading).
    tree: RwSignal<Option<ResponseTree>>,
    /// The search words.
    search: RwSignal<String>,
    /// The response in the form (none: a new one).
    response: RwSignal<Option<ResponseId>>,
    /// The response form's fields; the category as the select's value (an id, or empty).
    title: RwSignal<String>,
    category: RwSignal<String>,
    body: RwSignal<String>,
    /// The category in the category form (none: a new one), its name and parent (empty: top).
    cat: RwSignal<Option<CategoryId>>,
    cat_name: RwSignal<String>,
    cat_parent: RwSignal<String>,
    /// The last refusal, shown as an alert, and the last success, as a status.
    error: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
}

impl Page {
    fn new() -> Self {
        Page {
            tree: RwSignal::new(None),
            search: RwSignal::new(String::new()),
            response: RwSignal::new(None),
            title: RwSignal::new(String::new()),
            category: RwSignal::new(String::new()),
            body: RwSignal::new(String::new()),
            cat: RwSignal::new(None),
            cat_name: RwSignal::new(String::new()),
            cat_parent: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            notice: RwSignal::new(None),
        }
    }

    fn reload(self, api: &Api) {
        let api = api.clone();
        spawn_local(async move {
            match api.responses().await {
                Ok(t) => self.tree.set(Some(t)),
                Err(e) => self.error.set(Some(e.to_string())),
            }
        });
    }

    fn done(self, api: &Api, notice: &str) {
        self.error.set(None);
        self.notice.set(Some(notice.to_owned()));
        self.reload(api);
    }

    fn failed(self, e: &client::TransportError) {
        self.notice.set(None);
        self.error.set(Some(e.to_string()));
    }

    fn edit_response(self, r: &StandardResponse) {
        self.response.set(Some(r.id));
        self.title.set(r.title.clone());
        self.category.set(r.category_id.to_string());
        self.body.set(r.body.clone());
        self.notice.set(None);
    }

    fn new_response(self) {
        self.response.set(None);
        self.title.set(String::new());
        self.body.set(String::new());
        self.notice.set(None);
    }

    fn edit_category(self, id: Option<CategoryId>) {
        let found = id.and_then(|id| {
            self.tree
                .with_untracked(|t| t.as_ref()?.categories.iter().find(|c| c.id == id).cloned())
        });
        self.cat.set(found.as_ref().map(|c| c.id));
        self.cat_name
            .set(found.as_ref().map(|c| c.name.clone()).unwrap_or_default());
        self.cat_parent.set(
            found
                .and_then(|c| c.parent_id)
                .map(|p| p.to_string())
                .unwrap_or_default(),
        );
        self.notice.set(None);
    }
}

fn parse_category(value: &str) -> Option<CategoryId> {
    value.parse().ok().map(CategoryId)
}

/// The page.
#[component]
pub fn ResponsesPage(
    /// Who administers (their name fills `{agent.name}` in the preview).
    session: Session,
) -> impl IntoView {
    let page = Page::new();
    let api = session.api.clone();
    page.reload(&api);
    let agent_name = session.me.display_name.clone();
    let preview =
        move || field_codes::fill(&page.body.get(), SAMPLE_FIRST, SAMPLE_LAST, &agent_name);
    let save = {
        let api = api.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let Some(category_id) = parse_category(&page.category.get_untracked()) else {
                page.error
                    .set(Some("Choose a category for the response.".to_owned()));
                return;
            };
            let form = ResponseForm {
                category_id,
                title: page.title.get_untracked().trim().to_owned(),
                body: page.body.get_untracked(),
            };
            if let Err(e) = form.check() {
                page.error.set(Some(e));
                return;
            }
            let (api, id) = (api.clone(), page.response.get_untracked());
            spawn_local(async move {
                match api.save_response(id, &form).await {
                    Ok(r) => {
                        page.edit_response(&r);
                        page.done(&api, "Saved.");
                    }
                    Err(e) => page.failed(&e),
                }
            });
        }
    };
    let delete = {
        let api = api.clone();
        move |_| {
            let Some(id) = page.response.get_untracked() else {
                return;
            };
            let api = api.clone();
            spawn_local(async move {
                match api.delete_response(id).await {
                    Ok(()) => {
                        page.new_response();
                        page.done(&api, "Deleted.");
                    }
                    Err(e) => page.failed(&e),
                }
            });
        }
    };
    view! {
        <h1 class="page-title">"Standard Responses"</h1>
        {move || page.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || page.notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        <div class="catalog">
            <section class="catalog-tree" aria-label="Responses">
                <label>"Search responses"
                    <input type="search" bind:value=page.search/></label>
                <button type="button" on:click=move |_| page.new_response()>"New response"</button>
                {move || match page.tree.get() {
                    None => view! { <p role="status">"Loading…"</p> }.into_any(),
                    Some(t) => {
                        let needle = page.search.get().trim().to_lowercase();
                        let items = tree_items(page, &t, None, &needle);
                        if items.is_empty() {
                            view! { <p class="empty">"No responses found."</p> }.into_any()
                        } else {
                            view! { <ul class="response-tree">{items}</ul> }.into_any()
                        }
                    }
                }}
            </section>
            <form class="catalog-form" on:submit=save
                aria-label=move || if page.response.get().is_some() { "Edit response" } else { "New response" }>
                <h2>{move || if page.response.get().is_some() { "Edit response" } else { "New response" }}</h2>
                <label>"Title" <input type="text" bind:value=page.title/></label>
                <label>"Category"
                    <select on:change=move |ev| page.category.set(event_target_value(&ev))>
                        <option value="" selected=move || page.category.get().is_empty()>"Choose…"</option>
                        {move || category_options(page, page.category)}
                    </select>
                </label>
                <label>"Text"
                    <textarea rows="6" prop:value=move || page.body.get()
                        on:input=move |ev| page.body.set(event_target_value(&ev))></textarea></label>
                <p class="hint">"Field codes: " {field_codes::ALL.join(" ")}</p>
                <section class="preview" aria-label="Preview">
                    <h3>"Preview"</h3>
                    <p class="preview-text">{preview}</p>
                </section>
                <button type="submit" class="primary">"Save"</button>
                {move || page.response.get().is_some().then(|| view! {
                    <button type="button" on:click=delete.clone()>"Delete"</button>
                })}
            </form>
            <CategoryEditor page=page api=api/>
        </div>
    }
}

/// The `<option>`s of every category (by path, `Parent / Child`), selected by `current`.
fn category_options(page: Page, current: RwSignal<String>) -> Vec<AnyView> {
    page.tree.with(|t| {
        let Some(t) = t else { return Vec::new() };
        let mut paths: Vec<(String, String)> = t
            .categories
            .iter()
            .map(|c| (c.id.to_string(), category_path(t, c.id)))
            .collect();
        paths.sort_by(|a, b| a.1.cmp(&b.1));
        paths
            .into_iter()
            .map(|(id, path)| {
                let value = id.clone();
                view! { <option value=id selected=move || current.get() == value>{path}</option> }
                    .into_any()
            })
            .collect()
    })
}

/// `Parent / Child` for a category.
fn category_path(t: &ResponseTree, id: CategoryId) -> String {
    let mut names = Vec::new();
    let mut at = Some(id);
    while let Some(c) = at.and_then(|id| t.categories.iter().find(|c| c.id == id)) {
        names.push(c.name.clone());
        at = c.parent_id;
        if names.len() > t.categories.len() {
            break;
        }
    }
    names.reverse();
    names.join(" / ")
}

fn matches(r: &StandardResponse, needle: &str) -> bool {
    needle.is_empty()
        || r.title.to_lowercase().contains(needle)
        || r.body.to_lowercase().contains(needle)
}

/// The categories under `parent` with their responses; with search words, only those holding
/// a matching response.
fn tree_items(
    page: Page,
    t: &ResponseTree,
    parent: Option<CategoryId>,
    needle: &str,
) -> Vec<AnyView> {
    let mut out = Vec::new();
    for c in t.categories.iter().filter(|c| c.parent_id == parent) {
        let children = tree_items(page, t, Some(c.id), needle);
        let responses: Vec<AnyView> = t
            .responses
            .iter()
            .filter(|r| r.category_id == c.id && matches(r, needle))
            .map(|r| {
                let r = r.clone();
                let title = r.title.clone();
                let current = r.id;
                view! {
                    <li class="response">
                        <button type="button" class="link"
                            aria-current=move || (page.response.get() == Some(current)).then_some("true")
                            on:click=move |_| page.edit_response(&r)>{title}</button>
                    </li>
                }
                .into_any()
            })
            .collect();
        if !needle.is_empty() && children.is_empty() && responses.is_empty() {
            continue;
        }
        let id = c.id;
        out.push(
            view! {
                <li>
                    <details open>
                        <summary>{c.name.clone()}</summary>
                        <button type="button" class="small" aria-label=format!("Edit category {}", c.name)
                            on:click=move |_| page.edit_category(Some(id))>"Edit"</button>
                        <ul>{children}{responses}</ul>
                    </details>
                </li>
            }
            .into_any(),
        );
    }
    out
}

/// Adds, renames, moves and deletes categories.
#[component]
fn CategoryEditor(
    /// The page's state.
    page: Page,
    /// The caller.
    api: Api,
) -> impl IntoView {
    let save = {
        let api = api.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let form = CategoryForm {
                name: page.cat_name.get_untracked().trim().to_owned(),
                parent_id: parse_category(&page.cat_parent.get_untracked()),
            };
            if let Err(e) = form.check() {
                page.error.set(Some(e));
                return;
            }
            let (api, id) = (api.clone(), page.cat.get_untracked());
            spawn_local(async move {
                match api.save_category(id, &form).await {
                    Ok(c) => {
                        page.cat.set(Some(c.id));
                        page.done(&api, "Category saved.");
                    }
                    Err(e) => page.failed(&e),
                }
            });
        }
    };
    let delete = move |_| {
        let Some(id) = page.cat.get_untracked() else {
            return;
        };
        let api = api.clone();
        spawn_local(async move {
            match api.delete_category(id).await {
                Ok(()) => {
                    page.edit_category(None);
                    page.done(&api, "Category deleted.");
                }
                Err(e) => page.failed(&e),
            }
        });
    };
    let editing = move || page.cat.get().is_some();
    view! {
        <form class="catalog-form" on:submit=save aria-label="Category">
            <h2>{move || if editing() { "Edit category" } else { "New category" }}</h2>
            <label>"Category name" <input type="text" bind:value=page.cat_name/></label>
            <label>"Parent category"
                <select on:change=move |ev| page.cat_parent.set(event_target_value(&ev))>
                    <option value="" selected=move || page.cat_parent.get().is_empty()>"Top level"</option>
                    {move || category_options(page, page.cat_parent)}
                </select>
            </label>
            <button type="submit" class="primary">
                {move || if editing() { "Save category" } else { "Add category" }}</button>
            {move || editing().then(|| view! {
                <button type="button" on:click=delete.clone()>"Delete category"</button>
                <button type="button" on:click=move |_| page.edit_category(None)>"New category"</button>
            })}
        </form>
    }
}
