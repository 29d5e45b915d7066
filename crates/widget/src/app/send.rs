//! What goes out: text and images, the end of the chat, and typing both ways.

use super::{with, App, Mode};
use crate::bridge::ToLoader;
use crate::transcript::Message;
use crate::view::dom::{after, document, now, show};
use crate::{api, checks, store};
use client::TransportError;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::File;
use wire::api::VisitorSendRequest;
use wire::{AttachmentId, ClientMessageId, InteractionState};

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

/// A picture on its way, or whose upload or send failed, kept for "Send picture again" (in
/// the panel, and in the browser's storage for the next visit: see `store`): with its upload
/// once the server has it and one client id for every try, so it is neither uploaded nor
/// stored twice.
#[derive(Clone)]
pub(super) struct UnsentPicture {
    /// The file the visitor chose, uploaded again if its upload did not go through.
    file: File,
    /// The message's client id, the same on every try.
    client_id: ClientMessageId,
    /// The upload the server answered, once it has.
    uploaded: Option<AttachmentId>,
    /// Whether the browser's storage holds the file (shared by the clones a try works on):
    /// what is known of it is written beside the file only once the file is there, so a
    /// record read after a reload always has its file.
    file_kept: Rc<Cell<bool>>,
}

impl UnsentPicture {
    /// What the browser keeps of it besides the file.
    fn record(&self) -> store::PictureRecord {
        store::PictureRecord {
            client_id: self.client_id.clone(),
            uploaded: self.uploaded,
            media_type: self.file.type_(),
            name: self.file.name(),
        }
    }
}

/// "Attach image": checks the chosen file, uploads it and sends it as a message. While
/// another message is on its way it is kept for "Send picture again"; while a picture that did
/// not go is kept, that one is to be sent or discarded first.
pub(super) fn attach() {
    let go = with(|a| {
        let file = a.ui.file.files()?.get(0)?;
        a.ui.file.set_value("");
        if let Err(message) = checks::check_image(&file.type_(), file.size()) {
            a.alert(&message);
            return None;
        }
        if let Some(kept) = &a.outbox.picture {
            a.alert(&format!("Send or discard {} first.", kept.file.name()));
            return None;
        }
        let picture = UnsentPicture {
            file,
            client_id: new_client_id(),
            uploaded: None,
            file_kept: Rc::default(),
        };
        if a.stored {
            keep_file(&picture, a.host.identity.is_some());
        }
        if a.outbox.busy {
            a.keep_picture(Some(picture));
            return None;
        }
        // Kept but not offered again while its first try is on its way.
        a.outbox.picture = Some(picture);
        Some(())
    });
    if go.flatten().is_some() {
        send_picture();
    }
}

/// Keeps the picture's file in the browser's storage, then what is known of it (the picture
/// as it is by then: its upload may have been answered meanwhile), if it is still kept.
fn keep_file(picture: &UnsentPicture, identified: bool) {
    let (file, kept, id) = (
        picture.file.clone(),
        picture.file_kept.clone(),
        picture.client_id.clone(),
    );
    spawn_local(async move {
        if !store::keep_picture_file(&file, &id, identified).await {
            return;
        }
        kept.set(true);
        with(
            |a| match a.outbox.picture.as_ref().filter(|p| p.client_id == id) {
                Some(p) => store::keep_picture(&p.record(), identified),
                // Sent or discarded meanwhile.
                None => store::drop_picture_file(&id),
            },
        );
    });
}

/// Uploads the kept picture (unless the server has it already) and sends it as a message:
/// "Send picture again", and the first try of one attached. A failure the server did not
/// refuse keeps it for another try.
pub(super) fn send_picture() {
    let Some(Some((token, mut picture, epoch))) = with(|a| {
        if a.outbox.busy {
            return None;
        }
        let picture = a.outbox.picture.clone()?;
        let token = a.token()?;
        a.outbox.busy = true;
        a.clear_alert();
        let _ = a.ui.attach.set_attribute("aria-busy", "true");
        let _ = a.ui.picture_send.set_attribute("aria-busy", "true");
        Some((token, picture, a.epoch))
    }) else {
        return;
    };
    spawn_local(async move {
        let result = deliver(&token, &mut picture).await;
        with(|a| {
            a.outbox.busy = false;
            let _ = a.ui.attach.remove_attribute("aria-busy");
            let _ = a.ui.picture_send.remove_attribute("aria-busy");
            if a.epoch != epoch {
                return;
            }
            match result {
                Ok(message) => {
                    let focused = a.picture_focused();
                    a.keep_picture(None);
                    a.clear_alert();
                    a.sent(message);
                    if focused {
                        a.focus();
                    }
                }
                Err(e) => {
                    // Kept with its upload, unless refused or discarded while on its way.
                    let keep = !e.is_refusal() && a.outbox.picture.is_some();
                    a.keep_picture(keep.then_some(picture));
                    a.alert(&api::message(&e));
                }
            }
        });
    });
}

/// One try at a picture: its upload (kept on `picture` once answered), then the message. An
/// upload kept from an earlier try that the server no longer has (uploads never sent are
/// swept after a while) is uploaded again.
async fn deliver(token: &str, picture: &mut UnsentPicture) -> Result<Message, TransportError> {
    loop {
        let earlier = picture.uploaded.is_some();
        let id = if let Some(id) = picture.uploaded {
            id
        } else {
            let id = api::upload(token, &picture.file).await?.id;
            picture.uploaded = Some(id);
            id
        };
        let request = VisitorSendRequest {
            client_id: picture.client_id.clone(),
            text: String::new(),
            attachment_id: Some(id),
        };
        match api::send(token, &request).await {
            Err(e) if earlier && e.status() == Some(404) => picture.uploaded = None,
            result => return result,
        }
    }
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

/// The notice of a picture put back by [`App::put_back_picture`].
const PICTURE_UNSENT: &str =
    "Your picture had not reached us when the page closed. Press Send picture again to send it.";

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

    /// Keeps `picture` for "Send picture again", naming it beside the buttons (and, for the
    /// next visit, what the browser keeps of it), or (with `None`) forgets the one kept and
    /// hides them.
    pub(super) fn keep_picture(&mut self, picture: Option<UnsentPicture>) {
        match &picture {
            Some(p) if self.stored && p.file_kept.get() => {
                store::keep_picture(&p.record(), self.host.identity.is_some());
            }
            Some(_) => {}
            None => store::drop_picture(),
        }
        let name = picture
            .as_ref()
            .map(|p| format!("{} was not sent.", p.file.name()));
        self.ui.picture_name.set_text_content(name.as_deref());
        show(&self.ui.picture, picture.is_some());
        self.outbox.picture = picture;
    }

    /// Whether the focus is on "Send picture again" or "Discard picture".
    fn picture_focused(&self) -> bool {
        document()
            .active_element()
            .is_some_and(|el| self.ui.picture.contains(Some(&el)))
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

    /// Gives back the picture kept on its way when the page closed (see `store`), once the
    /// conversation's newest page is shown: beside "Send picture again", with its client id
    /// and upload, and a notice; forgotten if the server has it. Its file is read a moment
    /// later (the browser's cache answers asynchronously).
    pub(super) fn put_back_picture(&self) {
        if !self.stored || self.outbox.picture.is_some() {
            return;
        }
        let epoch = self.epoch;
        spawn_local(async move {
            let Some((record, file)) = store::kept_picture().await else {
                return;
            };
            with(|a| {
                if a.epoch != epoch || !a.stored || a.outbox.picture.is_some() {
                    return;
                }
                if a.transcript.holds(&record.client_id) {
                    store::drop_picture();
                    return;
                }
                a.keep_picture(Some(UnsentPicture {
                    file,
                    client_id: record.client_id,
                    uploaded: record.uploaded,
                    file_kept: Rc::new(Cell::new(true)),
                }));
                a.alert(PICTURE_UNSENT);
            });
        });
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
