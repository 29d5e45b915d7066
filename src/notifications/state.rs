//! Offers waiting for an answer, and contacts who responded to an asynchronous message.

use crate::browser;
use leptos::prelude::*;
use wire::event::OfferView;
use wire::{ContactId, InteractionId, Millis};

/// The id of the page's `<audio>` element holding the offer sound (`public/offer.wav`).
pub const OFFER_SOUND_ID: &str = "offer-sound";

/// A contact answered a conversation that had no open interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responded {
    /// Who.
    pub contact_id: ContactId,
    /// Their name.
    pub contact_name: String,
    /// What they wrote.
    pub text: String,
    /// When.
    pub at: Millis,
}

/// Notifications, as a context.
#[derive(Debug, Clone, Copy)]
pub struct NotificationsState {
    /// Offers to this agent, oldest first.
    pub offers: RwSignal<Vec<OfferView>>,
    /// Offers being answered (Accept or Reject pressed).
    pub answering: RwSignal<Vec<InteractionId>>,
    /// Contact-responded notifications, newest last.
    pub responded: RwSignal<Vec<Responded>>,
}

impl Default for NotificationsState {
    fn default() -> Self {
        Self::new()
    }
}

impl NotificationsState {
    /// No notifications.
    pub fn new() -> Self {
        NotificationsState {
            offers: RwSignal::new(Vec::new()),
            answering: RwSignal::new(Vec::new()),
            responded: RwSignal::new(Vec::new()),
        }
    }

    /// Replaces the offers with the server's list (start-up, resync).
    pub fn set_offers(self, offers: Vec<OfferView>) {
        self.offers.set(offers);
    }

    /// A new offer: show it, ring, and tell the agent if the page is hidden.
    pub fn offer_arrived(self, offer: OfferView) {
        let id = offer.interaction.id;
        let known = self
            .offers
            .with_untracked(|o| o.iter().any(|x| x.interaction.id == id));
        if known {
            return;
        }
        ring();
        notify_browser(
            &format!("Chat offer: {}", offer.interaction.contact_name),
            offer
                .first_message
                .as_deref()
                .unwrap_or(offer.interaction.channel.label()),
        );
        self.offers.update(|o| o.push(offer));
    }

    /// An offer is no longer open.
    pub fn withdraw(self, id: InteractionId) {
        self.offers.update(|o| o.retain(|x| x.interaction.id != id));
        self.answering.update(|a| a.retain(|x| *x != id));
    }

    /// A contact responded.
    pub fn contact_responded(self, note: Responded) {
        notify_browser(&format!("{} responded", note.contact_name), &note.text);
        self.responded.update(|r| {
            r.retain(|x| x.contact_id != note.contact_id);
            r.push(note);
        });
    }

    /// The agent saw it.
    pub fn dismiss_responded(self, contact: ContactId) {
        self.responded
            .update(|r| r.retain(|x| x.contact_id != contact));
    }
}

fn ring() {
    let audio = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(OFFER_SOUND_ID))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlAudioElement>(e).ok());
    if let Some(audio) = audio {
        audio.set_current_time(0.0);
        // The browser may refuse to play before the first click on the page (after a
        // reload, say); the notification itself is what the agent must see, the sound only
        // helps. The refusal is awaited, so it is not an unhandled rejection.
        if let Ok(playing) = audio.play() {
            leptos::task::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(playing).await;
            });
        }
    }
}

/// Asks for permission to show browser notifications (call from a click).
pub fn ask_permission() {
    if web_sys::Notification::permission() == web_sys::NotificationPermission::Default {
        let _ = web_sys::Notification::request_permission();
    }
}

fn notify_browser(title: &str, body: &str) {
    if !browser::page_hidden()
        || web_sys::Notification::permission() != web_sys::NotificationPermission::Granted
    {
        return;
    }
    let options = web_sys::NotificationOptions::new();
    options.set_body(body);
    let _ = web_sys::Notification::new_with_options(title, &options);
}
