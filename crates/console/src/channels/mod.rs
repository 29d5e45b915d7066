//! Channels: each channel's settings in its own form: `Asynchronous chat` (the conversation
//! goes on after the contact leaves; off, a chat lasts while they are there), `Offer public
//! items` (public channels only), `Offer timeout` (seconds, 5 to 600) and `Reservation window`
//! (seconds, 0 to 86400: how long a chat whose contact responded is kept for the agent who
//! wrote last). The server checks the same ranges (`wire::channels`) and applies them from
//! then on.

use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::channels::{
    ChannelSettings, MAX_OFFER_TIMEOUT_SECS, MAX_RESERVATION_SECS, MIN_OFFER_TIMEOUT_SECS,
};

/// The channels page.
#[component]
pub fn ChannelsPage(
    /// Who asks (an administrator).
    session: Session,
) -> impl IntoView {
    let api = session.api;
    let list = RwSignal::new(Vec::<ChannelSettings>::new());
    let error = RwSignal::new(None::<String>);
    {
        let api = api.clone();
        spawn_local(async move {
            match api.channel_settings().await {
                Ok(l) => list.set(l.channels),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    }
    let api = StoredValue::new(api);
    view! {
        <h1 class="page-title">"Channels"</h1>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <For each=move || list.get() key=|c| format!("{c:?}") let:settings>
            <ChannelForm settings=settings api=api.get_value()/>
        </For>
    }
}

/// Parses a whole number of seconds typed in a number field.
fn seconds(text: &str, what: &str) -> Result<u32, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("The {what} must be a whole number of seconds."))
}

/// One channel's form.
#[component]
fn ChannelForm(
    /// The channel's settings as the server last said.
    settings: ChannelSettings,
    /// Saves them.
    api: crate::api::Api,
) -> impl IntoView {
    let channel = settings.channel;
    // Every form has the same fields: their names say the channel, so each is found by name.
    let label = channel.label();
    let async_chat = RwSignal::new(settings.async_chat);
    let offer_public = RwSignal::new(settings.offer_public);
    let timeout = RwSignal::new(settings.offer_timeout_secs.to_string());
    let reservation = RwSignal::new(settings.reservation_secs.to_string());
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let read = || -> Result<ChannelSettings, String> {
            let s = ChannelSettings {
                channel,
                async_chat: async_chat.get_untracked(),
                offer_public: offer_public.get_untracked(),
                offer_timeout_secs: seconds(&timeout.get_untracked(), "offer timeout")?,
                reservation_secs: seconds(&reservation.get_untracked(), "reservation window")?,
            };
            s.check().map_err(crate::accounts::sentence)?;
            Ok(s)
        };
        let new = match read() {
            Ok(s) => s,
            Err(e) => return error.set(Some(e)),
        };
        let api = api.clone();
        spawn_local(async move {
            match api.set_channel_settings(&new).await {
                Ok(_) => {
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section>
            <form class="report-form" aria-label=format!("{label} settings") on:submit=submit novalidate>
                <h2>{label}</h2>
                <label class="check">
                    <input type="checkbox" aria-label=format!("{label} asynchronous chat")
                        prop:checked=move || async_chat.get()
                        on:change=move |ev| async_chat.set(event_target_checked(&ev))/>
                    "Asynchronous chat"
                </label>
                {channel.is_public().then(|| view! {
                    <label class="check">
                        <input type="checkbox" aria-label=format!("{label} offer public items")
                            prop:checked=move || offer_public.get()
                            on:change=move |ev| offer_public.set(event_target_checked(&ev))/>
                        "Offer public items"
                    </label>
                })}
                <label>"Offer timeout (seconds)"
                    <input type="number" min=MIN_OFFER_TIMEOUT_SECS max=MAX_OFFER_TIMEOUT_SECS
                        aria-label=format!("{label} offer timeout (seconds)")
                        prop:value=move || timeout.get()
                        on:input=move |ev| timeout.set(event_target_value(&ev))/>
                </label>
                <label>"Reservation window (seconds)"
                    <input type="number" min=0 max=MAX_RESERVATION_SECS
                        aria-label=format!("{label} reservation window (seconds)")
                        prop:value=move || reservation.get()
                        on:input=move |ev| reservation.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="primary" aria-label=format!("Save {label}")>"Save"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || saved.get().then(|| view! { <p role="status">{format!("{label} saved.")}</p> })}
        </section>
    }
}
