//! Notifications: chat offers (`Accept`, `Reject`, a countdown, a sound, a browser notification
//! when the page is hidden) and contact-responded notifications (`Show`).

pub mod state;

use crate::shell::state::Line;
use crate::shell::state::Place;
use crate::shell::state::{desk, Desk};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::event::OfferView;

/// Every open offer. Alt+A accepts the oldest one from anywhere on the desktop.
#[component]
pub fn OfferNotifications() -> impl IntoView {
    let notifications = desk().notifications;
    let shortcut = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.alt_key() && !ev.ctrl_key() && !ev.meta_key() && ev.code() == "KeyA" {
            let oldest = notifications
                .offers
                .with_untracked(|o| o.first().map(|o| o.interaction.id));
            if let Some(id) = oldest {
                ev.prevent_default();
                crate::browser::click_later(accept_id(id));
            }
        }
    });
    on_cleanup(move || shortcut.remove());
    view! {
        <audio id=state::OFFER_SOUND_ID src="offer.wav" preload="auto"></audio>
        <section class="offers" aria-label="Offers">
            <For each=move || notifications.offers.get() key=|o| o.interaction.id let:offer>
                <OfferCard offer=offer/>
            </For>
        </section>
    }
}

/// The id of an offer's `Accept` button.
fn accept_id(id: wire::InteractionId) -> String {
    format!("offer-accept-{id}")
}

#[component]
fn OfferCard(offer: OfferView) -> impl IntoView {
    let d = desk();
    let clock = d.clock;
    let notifications = d.notifications;
    let id = offer.interaction.id;
    let error = RwSignal::new(None::<String>);
    let busy = move || notifications.answering.with(|a| a.contains(&id));
    let accept_button = NodeRef::<leptos::html::Button>::new();
    // Accept takes the focus, unless the agent is typing somewhere (Alt+A still accepts).
    Effect::new(move |_| {
        if let Some(button) = accept_button.get() {
            if !crate::browser::typing_in_a_field() {
                let _ = button.focus();
            }
        }
    });

    let answer = move |accept: bool| {
        error.set(None);
        spawn_local(async move {
            if let Err(e) = answer_offer(d, id, accept).await {
                error.try_set(Some(e.message()));
            }
        });
    };
    let expires_at = offer.expires_at;
    let remaining = move || ((expires_at - clock.0.get()) / 1000).max(0);
    let title_id = format!("offer-title-{id}");
    let body_id = format!("offer-body-{id}");
    let (title_ref, body_ref) = (title_id.clone(), body_id.clone());
    let transfer_id = format!("offer-transfer-{id}");
    let described = if offer.transfer.is_some() {
        format!("{transfer_id} {body_ref}")
    } else {
        body_ref
    };
    let kind = if offer.transfer.is_some() {
        "Transfer offer: "
    } else {
        "Chat offer: "
    };
    view! {
        <div class="offer" role="alertdialog" aria-labelledby=title_ref
            aria-describedby=described>
            <h2 id=title_id>{kind} {offer.interaction.contact_name.clone()}</h2>
            <p class="offer-channel">{offer.interaction.channel.label()}</p>
            {offer.transfer.clone().map(|t| view! { <TransferNote id=transfer_id t=t/> })}
            <p id=body_id class="offer-message">
                {offer.first_message.clone().unwrap_or_default()}
            </p>
            <p class="countdown" aria-live="off">
                {move || format!("Expires in {} s", remaining())}
            </p>
            <div class="actions">
                <button type="button" class="primary" node_ref=accept_button id=accept_id(id)
                    aria-keyshortcuts="Alt+A" title="Accept (Alt+A)"
                    disabled=busy on:click=move |_| answer(true)>"Accept"</button>
                <button type="button" disabled=busy on:click=move |_| answer(false)>"Reject"</button>
            </div>
            <Line text=error class="error"/>
        </div>
    }
}

/// Accepts (`accept`) or rejects offer `id`: what its `Accept` and `Reject` buttons do (and the
/// portal's `accept_offer` and `reject_offer`). An accepted chat opens in its Chat Interaction
/// view with the focus in its message field. The interaction accepted, if it was.
pub async fn answer_offer(
    d: Desk,
    id: wire::InteractionId,
    accept: bool,
) -> Result<Option<wire::InteractionView>, crate::api::ClientError> {
    let notifications = d.notifications;
    notifications.answering.update(|a| a.push(id));
    let client = d.api.client();
    let result = if accept {
        client.accept(id).await.map(Some)
    } else {
        client.reject(id).await.map(|()| None)
    };
    match &result {
        Ok(accepted) => {
            notifications.withdraw(id);
            if let Some(interaction) = accepted {
                d.interactions.interaction_changed(interaction.clone());
                d.nav.go(Place::interaction(id));
                crate::browser::focus_later(crate::chat_interaction::message_field_id(id));
            }
        }
        Err(_) => notifications.answering.update(|a| a.retain(|x| *x != id)),
    }
    result
}

/// What a transfer offer adds: who transferred the chat, and their note.
#[component]
fn TransferNote(id: String, t: wire::TransferView) -> impl IntoView {
    view! {
        <div class="offer-transfer" id=id>
            <p>"Transferred by " {t.from_name}</p>
            {t.note.map(|n| view! { <p class="offer-note">"Note: " {n}</p> })}
        </div>
    }
}

/// Contacts who answered an asynchronous message.
#[component]
pub fn RespondedNotifications() -> impl IntoView {
    let notifications = desk().notifications;
    let contacts = desk().contacts;
    let nav = desk().nav;
    view! {
        <section class="responded" aria-label="Contact responded">
            <For each=move || notifications.responded.get() key=|r| (r.contact_id, r.at) let:r>
                {
                    let contact = r.contact_id;
                    let show = move |_| {
                        notifications.dismiss_responded(contact);
                        contacts.hidden.set(false);
                        nav.go(crate::shell::communication_at(contacts, Some(contact)));
                    };
                    view! {
                        <div class="responded-note" role="status">
                            <p><strong>{r.contact_name.clone()}</strong> " responded: " {r.text.clone()}</p>
                            <div class="actions">
                                <button type="button" class="primary" on:click=show>"Show"</button>
                                <button type="button"
                                    on:click=move |_| notifications.dismiss_responded(contact)>
                                    "Dismiss"
                                </button>
                            </div>
                        </div>
                    }
                }
            </For>
        </section>
    }
}
