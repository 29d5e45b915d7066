//! The main navigation: the Connect group, and the open interactions.

use super::state::Place;
use crate::connect_group::ConnectGroup;
use crate::shell::state::desk;
use crate::shell::tabs;
use leptos::prelude::*;
use wire::InteractionState;

/// The main navigation.
#[component]
pub fn MainNav() -> impl IntoView {
    let nav = desk().nav;
    let interactions = desk().interactions;
    // A tab list must hold tabs: with none open it is only the "No open interactions" line.
    let has_tabs = move || interactions.open.with(|o| !o.is_empty());
    view! {
        <nav class="main-nav" aria-label="Main navigation">
            <ConnectGroup/>
            <section class="nav-group" aria-labelledby="nav-interactions">
                <h2 id="nav-interactions">"Interactions"</h2>
                <div role=move || has_tabs().then_some("tablist")
                    aria-label=move || has_tabs().then_some("Interactions")
                    aria-orientation=move || has_tabs().then_some("vertical")
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        let ids = interactions.open.with_untracked(|o| o.iter().map(|i| i.id).collect::<Vec<_>>());
                        let current = ids.iter().position(|id| nav.place_untracked().shown_interaction() == Some(*id)).unwrap_or(0);
                        if let Some(next) = tabs::moved(&ev.key(), current, ids.len(), tabs::Orientation::Vertical) {
                            ev.prevent_default();
                            nav.go(Place::interaction(ids[next]));
                            crate::browser::focus_later(format!("nav-interaction-{}", ids[next]));
                        }
                    }>
                    <For
                        each=move || interactions.open.get()
                        key=|i| (i.id, i.state, i.contact_name.clone())
                        let:i
                    >
                        {
                            let id = i.id;
                            let contact = i.contact_id;
                            let selected = move || nav.place().shown_interaction() == Some(id);
                            // Reached with Tab: the selected one, or the first when none is.
                            let tab_stop = move || {
                                selected() || (nav.place().shown_interaction().is_none()
                                    && interactions.open.with(|o| o.first().map(|f| f.id) == Some(id)))
                            };
                            let typing = move || interactions.typing.with(|t| t.contains(&contact));
                            view! {
                                <button type="button" role="tab" class="nav-item" id=format!("nav-interaction-{id}")
                                    class:ended=i.state == InteractionState::Ended
                                    aria-selected=move || selected().to_string()
                                    aria-controls="workspace" tabindex=move || tabs::tab_index(tab_stop())
                                    on:click=move |_| nav.go(Place::interaction(id))>
                                    <span class="nav-title">{i.contact_name.clone()}</span>
                                    <span class="nav-sub">
                                        {i.channel.label()} " · " {i.state.label()}
                                        {i.contact_page.clone().map(|page| format!(" · {page}"))}
                                        {move || typing().then_some(" · typing…")}
                                    </span>
                                </button>
                            }
                        }
                    </For>
                    <Show when=move || interactions.open.with(Vec::is_empty)>
                        <p class="empty">"No open interactions."</p>
                    </Show>
                </div>
            </section>
        </nav>
    }
}
