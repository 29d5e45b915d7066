//! What goes out: text and images, the end of the chat, and typing both ways.

use super::{with, App, Mode};
use crate::bridge::ToLoader;
use crate::transcript::Message;
use crate::view::dom::{after, now};
use crate::{api, checks, store};
use wasm_bindgen_futures::spawn_local;
use wire::api::VisitorSendRequest;
use wire::{ClientMessageId, InteractionState};

/// "Send" (or Enter): sends the typed text. The text stays in the field until the server
/// has stored it; a retry of the same text reuses its client id, so it is never stored twice.
pub(super) fn send_text() {
    let Some(Some((token, request, typed))) = with(|a| {
        let typed = a.ui.text.value();
        let text = typed.trim().to_owned();
        if text.is_empty() || a.outbox.busy {
            return None;
        }
        if let Err(message) = checks::check_text(&text) {
            a.alert(&message);
            return None;
        }
        let token = a.token()?;
        let client_id = match &a.outbox.retry {
            Some((t, id)) if *t == text => id.clone(),
            _ => new_client_id(),
        };
        if a.stored {
            store::keep_unsent(&text, &client_id, a.host.identity.is_some());
        }
        a.outbox.retry = Some((text.clone(), client_id.clone()));
        a.outbox.busy = true;
        let request = VisitorSendRequest {
            client_id,
            text,
            attachment_id: None,
        };
        Some((token, request, typed))
    }) else {
        return;
    };
    spawn_local(async move {
        let result = api::send(&token, &request).await;
        with(|a| {
            a.outbox.busy = false;
            match result {
                Ok(message) => {
                    a.outbox.retry = None;
                    store::drop_unsent();
                    if a.ui.text.value() == typed {
                        a.ui.text.set_value("");
                    }
                    a.clear_alert();
                    a.sent(message);
                }
                Err(e) => {
                    // Refused (a 4xx other than 429): not on its way any more; the text stays
                    // in the field beside the server's reason, but a reload does not bring it
                    // back as a message that had not reached us.
                    if e.is_refusal() {
                        store::drop_unsent();
                    }
                    a.alert(&api::message(&e));
                }
            }
        });
    });
}

/// "Attach image": checks the chosen file, uploads it and sends it as a message.
pub(super) fn attach() {
    let Some(Some((token, file))) = with(|a| {
        let file = a.ui.file.files()?.get(0)?;
        a.ui.file.set_value("");
        if let Err(message) = checks::check_image(&file.type_(), file.size()) {
            a.alert(&message);
            return None;
        }
        if a.outbox.busy {
            return None;
        }
        let token = a.token()?;
        a.outbox.busy = true;
        a.clear_alert();
        let _ = a.ui.attach.set_attribute("aria-busy", "true");
        Some((token, file))
    }) else {
        return;
    };
    spawn_local(async move {
        let result = match api::upload(&token, &file).await {
            Ok(attachment) => {
                let request = VisitorSendRequest {
                    client_id: new_client_id(),
                    text: String::new(),
                    attachment_id: Some(attachment.id),
                };
                api::send(&token, &request).await
            }
            Err(e) => Err(e),
        };
        with(|a| {
            a.outbox.busy = false;
            let _ = a.ui.attach.remove_attribute("aria-busy");
            match result {
                Ok(message) => {
                    a.clear_alert();
                    a.sent(message);
                }
                Err(e) => a.alert(&api::message(&e)),
            }
        });
    });
}

/// "End chat".
pub(super) async fn end_chat() {
    let Some(Some(token)) = with(|a| a.token()) else {
        return;
    };
    let result = api::end(&token).await;
    with(|a| match result {
        Ok(()) => {
            if let Some(current) = a.transcript.current.as_mut() {
                if current.is_open() {
                    current.state = InteractionState::Ended;
                }
            }
            a.render();
            a.focus();
        }
        Err(e) => a.alert(&api::message(&e)),
    });
}

/// The notice of a message put back by [`App::put_back_unsent`].
const UNSENT: &str =
    "Your last message had not reached us when the page closed. Press Send to send it.";

/// A fresh client message id.
pub(super) fn new_client_id() -> ClientMessageId {
    client::ids::new_client_id('w')
}

impl App {
    /// The server stored one of the visitor's messages.
    pub(super) fn sent(&mut self, message: Message) {
        if !self.stored {
            if let Some(token) = self.token() {
                store::save(&token, self.host.identity.is_some());
                self.stored = true;
                self.notify(&ToLoader::Started);
            }
        }
        if self.outbox.typing_sent > 0.0 {
            self.typing_out(false);
        }
        self.add_message(message, false);
        self.render();
    }

    /// Shows or hides "Ann is typing…"; it clears itself if no stop arrives.
    pub(super) fn set_agent_typing(&mut self, typing: bool) {
        self.outbox.agent_typing_gen = self.outbox.agent_typing_gen.wrapping_add(1);
        if typing {
            let name = self
                .transcript
                .agent_name()
                .unwrap_or_else(|| "The agent".to_owned());
            self.ui
                .typing
                .set_text_content(Some(&format!("{name} is typing…")));
            let generation = self.outbox.agent_typing_gen;
            after(10_000, move || {
                with(|a| {
                    if a.outbox.agent_typing_gen == generation {
                        a.ui.typing.set_text_content(None);
                    }
                });
            });
        } else {
            self.ui.typing.set_text_content(None);
        }
    }

    /// Gives back the message kept on its way when the page closed (see `store`), once the
    /// conversation's newest page is shown: in the field, with its client id for `Send`, and
    /// a notice; forgotten if the server has it.
    pub(super) fn put_back_unsent(&mut self) {
        if !self.stored || self.outbox.retry.is_some() {
            return;
        }
        let Some((text, id)) = store::unsent() else {
            return;
        };
        if self.transcript.holds(&id) {
            store::drop_unsent();
            return;
        }
        if self.ui.text.value().trim().is_empty() {
            self.ui.text.set_value(&text);
        }
        self.outbox.retry = Some((text, id));
        self.alert(UNSENT);
    }

    /// The visitor typed: tells the agent (at most every 3 s), and that they stopped after 4 s.
    /// A message kept on its way that the visitor changed is theirs to send again: no longer
    /// kept.
    pub(super) fn typing_input(&mut self) {
        if let Some((text, _)) = &self.outbox.retry {
            if self.ui.text.value().trim() != text && !self.outbox.busy {
                store::drop_unsent();
            }
        }
        if self.session.is_none() || self.mode != Mode::Chat {
            return;
        }
        let t = now();
        if t - self.outbox.typing_sent > 3000.0 {
            self.outbox.typing_sent = t;
            self.typing_out(true);
        }
        self.outbox.typing_gen = self.outbox.typing_gen.wrapping_add(1);
        let generation = self.outbox.typing_gen;
        after(4000, move || {
            with(|a| {
                if a.outbox.typing_gen == generation && a.outbox.typing_sent > 0.0 {
                    a.typing_out(false);
                }
            });
        });
    }

    /// Sends a typing state.
    pub(super) fn typing_out(&mut self, typing: bool) {
        if !typing {
            self.outbox.typing_sent = 0.0;
        }
        if let Some(token) = self.token() {
            spawn_local(async move {
                let _ = api::typing(&token, typing).await;
            });
        }
    }

    /// Puts an emoji where the cursor is.
    pub(super) fn insert_emoji(&mut self, emoji: &str) {
        let text = &self.ui.text;
        let start = text.selection_start().ok().flatten();
        let _ = text.set_range_text(emoji);
        if let Some(start) = start {
            let len = u32::try_from(emoji.encode_utf16().count()).unwrap_or(0);
            let _ = text.set_selection_range(start + len, start + len);
        }
        self.picker(false);
        let _ = text.focus();
        self.typing_input();
    }
}
