//! The work area: the chosen interaction, or the Communication tab.

use super::state::Place;
use crate::chat_interaction::ChatInteractionView;
use crate::communication_tab::CommunicationTab;
use crate::shell::state::desk;
use leptos::prelude::*;

/// The work area.
#[component]
pub fn Workspace() -> impl IntoView {
    let nav = desk().nav;
    view! {
        <main class="workspace" id="workspace">
            {move || match nav.0.get() {
                Place::Home => view! {
                    <div class="home">
                        <p>"Set your Chat channel status to Ready to receive chats."</p>
                    </div>
                }.into_any(),
                Place::Interaction(id) => view! { <ChatInteractionView id=id/> }.into_any(),
                Place::Communication => view! { <CommunicationTab/> }.into_any(),
            }}
        </main>
    }
}
