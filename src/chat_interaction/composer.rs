//! The Message Composition area: the text field, `Send`, `Attach image`, `Emoji`; Enter sends,
//! Shift+Enter starts a new line; the draft is kept in localStorage; typing is reported.

use super::reply::ReplyTerms;
use super::send::{self, Sender};
use crate::api::UploadError;
use crate::browser::{self, Store};
use crate::shell::state::desk;
use crate::shell::state::Line;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::time::Duration;
use wire::{AttachmentView, InteractionId};

const EMOJI: [(&str, &str); 12] = [
    ("😀", "Grinning face"),
    ("🙂", "Slightly smiling face"),
    ("😉", "Winking face"),
    ("😊", "Smiling face"),
    ("😢", "Crying face"),
    ("😮", "Surprised face"),
    ("👍", "Thumbs up"),
    ("👋", "Waving hand"),
    ("🙏", "Thank you"),
    ("🎉", "Party popper"),
    ("❤️", "Heart"),
    ("✅", "Check mark"),
];

/// How long after the last keystroke "typing" stops.
const TYPING_IDLE: Duration = Duration::from_secs(3);

/// The Message Composition area.
#[component]
pub fn Composer(
    sender: Sender,
    /// The interaction written in (none in the Communication tab).
    #[prop(optional)]
    interaction: Option<InteractionId>,
    /// The text; others (Standard Responses) may write into it.
    text: RwSignal<String>,
    /// The field's label (`Message`, or `Write a Message`).
    label: &'static str,
    /// Where the draft is kept.
    draft_key: String,
    /// Why nothing can be written here now (asynchronous chat off, no chat open): said above
    /// the field, which is disabled with its buttons; the draft is kept.
    #[prop(optional, into)]
    refusal: Option<Signal<Option<String>>>,
    /// Where the reply goes and how long its platform lets it be (Messenger, X): said under
    /// the field, with a count of characters, before anything is typed.
    #[prop(optional, into)]
    terms: Option<Signal<ReplyTerms>>,
) -> impl IntoView {
    let terms = Signal::derive(move || terms.map(|t| t.get()).unwrap_or_default());
    let refusal = Signal::derive(move || refusal.and_then(|r| r.get()));
    let closed = move || refusal.with(Option::is_some);
    let presence = desk().presence;
    let attachment = RwSignal::new(None::<AttachmentView>);
    let error = RwSignal::new(None::<String>);
    let uploading = RwSignal::new(false);
    let emoji_open = RwSignal::new(false);
    let emoji_button = NodeRef::<leptos::html::Button>::new();
    let typing_sent = StoredValue::new(false);
    let typing_generation = StoredValue::new(0u32);
    let field = NodeRef::<leptos::html::Textarea>::new();
    let file_input = NodeRef::<leptos::html::Input>::new();
    let field_id = format!("composer-{draft_key}");
    let note_id = format!("{field_id}-terms");
    let note_for_view = note_id.clone();

    if text.get_untracked().is_empty() {
        if let Some(saved) = browser::load(Store::Local, &draft_key) {
            text.set(saved);
        }
    }
    let key = draft_key.clone();
    Effect::new(move |_| {
        let t = text.get();
        if t.is_empty() {
            browser::remove(Store::Local, &key);
        } else {
            browser::save(Store::Local, &key, &t);
        }
    });

    let set_typing = move |typing: bool| {
        let Some(id) = interaction else { return };
        if typing_sent.get_value() == typing {
            return;
        }
        typing_sent.set_value(typing);
        let client = sender.api.client();
        spawn_local(async move {
            // Typing is a hint: a lost one is corrected by the next keystroke or message.
            let _ = client.typing(id, typing).await;
        });
    };
    let on_input = move |_| {
        set_typing(true);
        let generation = typing_generation.get_value().wrapping_add(1);
        typing_generation.set_value(generation);
        set_timeout(
            move || {
                if typing_generation.try_get_value() == Some(generation) {
                    set_typing(false);
                }
            },
            TYPING_IDLE,
        );
    };

    let submit = move || {
        if refusal.with_untracked(Option::is_some) {
            return;
        }
        let body = text.get_untracked();
        let image = attachment.get_untracked();
        if body.trim().is_empty() && image.is_none() {
            return;
        }
        let ours = presence
            .config
            .with_untracked(|c| c.as_ref().map(|c| c.max_message_chars as usize))
            .unwrap_or(wire::limits::MAX_MESSAGE_CHARS);
        let max = terms
            .with_untracked(|t| t.max_chars)
            .map_or(ours, |m| m.min(ours));
        match wire::checks::message_text(&body, max, image.is_some()) {
            Ok(()) => {}
            Err(wire::checks::CheckError::TooLong { chars, max }) => {
                error.set(Some(format!(
                    "The message is {chars} characters long; at most {max} can be sent."
                )));
                return;
            }
            Err(e) => {
                error.set(Some(format!("{}.", e.describe("The message"))));
                return;
            }
        }
        error.set(None);
        text.set(String::new());
        attachment.set(None);
        set_typing(false);
        send::send(sender, interaction, body.trim_end().to_owned(), image);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };

    let on_file = move |_| {
        let Some(input) = file_input.get() else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        let max = presence
            .config
            .with_untracked(|c| c.as_ref().map(|c| c.max_image_bytes))
            .unwrap_or(wire::limits::MAX_IMAGE_BYTES as u64);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        // file sizes are whole bytes
        let size = file.size() as u64;
        match wire::checks::image(&file.type_(), size, max) {
            Ok(()) => {}
            Err(wire::checks::CheckError::ImageTooLarge { max, .. }) => {
                error.set(Some(format!(
                    "“{}” is too large: images up to {} KB can be sent.",
                    file.name(),
                    max / 1024
                )));
                return;
            }
            Err(_) => {
                error.set(Some(format!(
                    "“{}” is not an image that can be sent (PNG, JPEG, GIF or WebP).",
                    file.name()
                )));
                return;
            }
        }
        error.set(None);
        uploading.set(true);
        let client = sender.api.client();
        spawn_local(async move {
            match client.upload(&file).await {
                Ok(a) => attachment.set(Some(a)),
                Err(e @ (UploadError::TooLarge(_) | UploadError::NotAnImage(_))) => {
                    error.set(Some(format!("The image was refused: {e}")));
                }
                Err(e) => error.set(Some(format!("The image could not be uploaded: {e}"))),
            }
            uploading.set(false);
        });
    };

    let insert_emoji = move |emoji: &'static str| {
        text.update(|t| t.push_str(emoji));
        emoji_open.set(false);
        if let Some(f) = field.get() {
            let _ = f.focus();
        }
    };

    view! {
        <div class="composer">
            <label for=field_id.clone() class="composer-label">{label}</label>
            <Line text=refusal class="composer-closed"/>
            <textarea id=field_id rows="3" node_ref=field bind:value=text disabled=closed
                on:input=on_input on:keydown=on_keydown
                aria-describedby=move || terms.with(|t| t.note.is_some()).then(|| note_id.clone())
                placeholder="Enter sends, Shift+Enter starts a new line"></textarea>
            <ReplyNote terms=terms text=text id=note_for_view/>
            {move || attachment.get().map(|a| view! {
                <div class="attachment-preview">
                    <img src=a.url.clone() alt=a.file_name.clone()/>
                    <span>{a.file_name.clone()}</span>
                    <button type="button" on:click=move |_| attachment.set(None)>"Remove image"</button>
                </div>
            })}
            <Line text=Signal::derive(move || uploading.get().then(|| "Uploading image…".to_owned()))/>
            <Line text=error class="error"/>
            <div class="composer-actions">
                <button type="button" class="primary" disabled=closed on:click=move |_| submit()>"Send"</button>
                <input type="file" accept="image/png,image/jpeg,image/gif,image/webp"
                    class="visually-hidden" tabindex="-1" aria-hidden="true"
                    node_ref=file_input on:change=on_file/>
                <button type="button" disabled=closed on:click=move |_| {
                    if let Some(i) = file_input.get() { i.click(); }
                }>"Attach image"</button>
                <button type="button" aria-haspopup="true" node_ref=emoji_button disabled=closed
                    aria-expanded=move || emoji_open.get().to_string()
                    on:click=move |_| emoji_open.update(|o| *o = !*o)>"Emoji"</button>
            </div>
            <Show when=move || emoji_open.get()>
                <div class="emoji-grid" role="group" aria-label="Emoji"
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        // Escape closes the picker and gives the focus back to its button.
                        if ev.key() == "Escape" {
                            ev.prevent_default();
                            emoji_open.set(false);
                            if let Some(b) = emoji_button.get_untracked() { let _ = b.focus(); }
                        }
                    }>
                    {EMOJI.iter().map(|&(e, name)| view! {
                        <button type="button" class="emoji" aria-label=name title=name
                            on:click=move |_| insert_emoji(e)>{e}</button>
                    }).collect_view()}
                </div>
            </Show>
        </div>
    }
}

/// The reply's channel and limit under the field, and how many characters are used: the
/// count turns into a warning past the limit (Send then says why it refuses).
#[component]
fn ReplyNote(
    /// What the channel allows.
    terms: Signal<ReplyTerms>,
    /// The text being written.
    text: RwSignal<String>,
    /// The note's id, which the field names as its description.
    id: String,
) -> impl IntoView {
    move || {
        let (note, max) = terms.with(|t| (t.note.clone(), t.max_chars));
        let note = note?;
        let id = id.clone();
        let count = move || {
            let used = text.with(|t| t.chars().count());
            max.map(|m| (used, m))
        };
        Some(view! {
            <p class="composer-terms" id=id>
                {note}
                {move || count().map(|(used, m)| {
                    let over = used > m;
                    view! {
                        " "
                        <span class="char-count" class:over=over>{format!("{used} / {m}")}</span>
                    }
                })}
            </p>
        })
    }
}
