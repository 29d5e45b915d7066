//! The work area: what the place shows (the desk, an interaction, the Communication tab).

use super::state::Place;
use crate::chat_interaction::ChatInteractionView;
use crate::communication_tab::CommunicationTab;
use crate::shell::state::desk;
use leptos::prelude::*;
use wire::InteractionId;

/// Which view fills the area: a change of panel, contact or `Private`/`Public` is the view's
/// own business and does not draw it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Screen {
    Desk,
    Interaction(InteractionId),
    Communication,
    Unknown,
}

/// The work area.
#[component]
pub fn Workspace() -> impl IntoView {
    let nav = desk().nav;
    let screen = Memo::new(move |_| match nav.place() {
        Place::Home => Screen::Desk,
        Place::Interaction(id, _) => Screen::Interaction(id),
        Place::Communication { .. } => Screen::Communication,
        Place::Unknown => Screen::Unknown,
    });
    view! {
        <main class="workspace" id="workspace">
            {move || match screen.get() {
                Screen::Desk => view! {
                    <div class="home">
                        <p>"Set your Chat channel status to Ready to receive chats."</p>
                    </div>
                }.into_any(),
                Screen::Interaction(id) => view! { <ChatInteractionView id=id/> }.into_any(),
                Screen::Communication => view! { <CommunicationTab/> }.into_any(),
                Screen::Unknown => view! {
                    <div class="home">
                        <p role="alert">"There is nothing at this address in the desktop."</p>
                    </div>
                }.into_any(),
            }}
        </main>
    }
}
