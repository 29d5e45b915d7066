//! The work area: what the place shows (the desk, an interaction, the Communication tab).

use super::state::Place;
use crate::chat_interaction::ChatInteractionView;
use crate::communication_tab::CommunicationTab;
use crate::shell::state::desk;
use leptos::prelude::*;
use wire::{ChatStatus, InteractionId};

/// What the empty desk tells the agent, by Chat channel status and load.
fn desk_text(status: &ChatStatus, open: u32, capacity: u32) -> String {
    match status {
        ChatStatus::NotReady { .. } => {
            "Set your Chat channel status to Ready to receive chats.".to_owned()
        }
        ChatStatus::Ready if open >= capacity => format!(
            "You are Ready, at capacity ({open} of {capacity} chats): a new chat is offered once \
             you Mark Done one of yours."
        ),
        ChatStatus::Ready => {
            "You are Ready: new chats are offered to you as they arrive.".to_owned()
        }
    }
}

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
    let presence = desk().presence;
    let desk_words = move || {
        presence
            .agent
            .with(|a| desk_text(&a.status, a.open_interactions, a.capacity))
    };
    view! {
        <main class="workspace" id="workspace">
            {move || match screen.get() {
                Screen::Desk => view! {
                    <div class="home">
                        <p role="status">{desk_words}</p>
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

#[cfg(test)]
mod tests {
    use super::desk_text;
    use wire::{ChatStatus, ReasonCode};

    #[test]
    fn the_desk_says_what_fits_the_status() {
        let not_ready = ChatStatus::NotReady {
            reason: ReasonCode("break".into()),
        };
        assert!(desk_text(&not_ready, 0, 3).contains("Set your Chat channel status to Ready"));
        let ready = desk_text(&ChatStatus::Ready, 1, 3);
        assert!(ready.starts_with("You are Ready") && !ready.contains("Set your"));
        assert!(desk_text(&ChatStatus::Ready, 3, 3).contains("at capacity (3 of 3 chats)"));
    }
}
