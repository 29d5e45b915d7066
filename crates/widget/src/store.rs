//! The visitor token in `localStorage` of the widget's own origin (inside the iframe; the
//! company's page never sees it). Reading is free; the only write happens when the visitor
//! starts a chat (or sends their first message), so a visitor who never chats leaves nothing
//! behind. Browsers that refuse storage (private modes, blocked third-party storage) get a
//! chat that lasts as long as the page.
//!
//! Only an anonymous visitor's token is kept. An identified customer's conversation opens only
//! while the company's page vouches for them (its signed identity is present and matches), so
//! their token is never written, and a stored token is dropped as soon as a page identifies
//! someone: the next anonymous person on a shared computer starts fresh.
//!
//! Beside the token, and under the same rule, the text of the message on its way (with its
//! client id) until the server has it: a page closed or reloaded while the send failed or was
//! still going gives it back to the visitor. It goes with the token. So does a picture on its
//! way: its client id, name and upload in `localStorage`, its file in the origin's Cache
//! Storage (`localStorage` holds only a few megabytes of text; a picture may be 5 MB).

use client::storage::{self, Store};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Cache, CacheStorage, File, FilePropertyBag, Response};
use wire::{AttachmentId, ClientMessageId};

/// The key the token is kept under.
const TOKEN_KEY: &str = "threadline.visitor_token";
/// The key the message on its way is kept under.
const UNSENT_KEY: &str = "threadline.visitor_unsent";
/// The key the picture on its way is kept under (its file is in [`FILES`]).
const PICTURE_KEY: &str = "threadline.visitor_unsent_picture";
/// The cache that holds the file of the picture on its way.
const FILES: &str = "threadline-widget";
/// The file's key in [`FILES`] for a picture's client id: a request URL, from which nothing
/// is ever fetched.
fn file_key(id: &ClientMessageId) -> String {
    format!("/widget/unsent-picture/{id}")
}
/// Between the client id and the text: a client id never holds it.
const SEP: char = '\u{1f}';

/// The stored token, if a chat was started in this browser before.
pub fn load() -> Option<String> {
    storage::load(Store::Local, TOKEN_KEY)
}

/// How a boot starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// Nothing to resume: show the start form.
    Start,
    /// Resume the anonymous visitor's stored token.
    Token(String),
    /// Open the conversation of the customer the page vouches for, with its identity only
    /// (any stored token is dropped first, never sent along).
    Identity(String),
}

/// Decides how to start from the stored token and the page's signed identity.
pub fn plan(stored: Option<String>, identity: Option<String>) -> Resume {
    match (identity, stored) {
        (Some(identity), _) => Resume::Identity(identity),
        (None, Some(token)) => Resume::Token(token),
        (None, None) => Resume::Start,
    }
}

/// Whether a session's token may be kept for the next visit: only an anonymous one.
pub fn keeps(identified: bool) -> bool {
    !identified
}

/// Keeps the token for the next visit if [`keeps`] allows (a full or refused storage only
/// costs continuity).
pub fn save(token: &str, identified: bool) {
    if keeps(identified) {
        storage::save(Store::Local, TOKEN_KEY, token);
    }
}

/// Forgets the token (the server no longer knows it) and the messages on their way with it.
pub fn clear() {
    storage::remove(Store::Local, TOKEN_KEY);
    drop_unsent();
    drop_picture();
}

/// Keeps the message on its way if [`keeps`] allows (as the token).
pub fn keep_unsent(text: &str, id: &ClientMessageId, identified: bool) {
    if keeps(identified) {
        storage::save(Store::Local, UNSENT_KEY, &unsent_record(text, id));
    }
}

/// The message kept on its way, if any.
pub fn unsent() -> Option<(String, ClientMessageId)> {
    read_unsent(&storage::load(Store::Local, UNSENT_KEY)?)
}

/// Forgets the message kept on its way (the server has it, or the visitor changed it).
pub fn drop_unsent() {
    storage::remove(Store::Local, UNSENT_KEY);
}

/// What is kept of a picture on its way besides its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PictureRecord {
    /// The message's client id, the same on every try (the server stores it once).
    pub client_id: ClientMessageId,
    /// The upload the server answered, if it had: the next try need not upload it again.
    pub uploaded: Option<AttachmentId>,
    /// The file's media type, given back to the file read from the cache.
    pub media_type: String,
    /// The file's name, shown beside "Send picture again".
    pub name: String,
}

/// Keeps what is known of the picture on its way if [`keeps`] allows (as the token), once
/// [`keep_picture_file`] has kept its file.
pub fn keep_picture(record: &PictureRecord, identified: bool) {
    if keeps(identified) {
        storage::save(Store::Local, PICTURE_KEY, &picture_record(record));
    }
}

/// Keeps the file of the picture on its way if [`keeps`] allows; whether the browser took it
/// (a refusal, storage full or none offered, costs only the picture's return after a reload).
pub async fn keep_picture_file(file: &File, id: &ClientMessageId, identified: bool) -> bool {
    let Some(caches) = caches().filter(|_| keeps(identified)) else {
        return false;
    };
    let Ok(cache) = JsFuture::from(caches.open(FILES)).await else {
        return false;
    };
    let Ok(response) = Response::new_with_opt_blob(Some(file)) else {
        return false;
    };
    JsFuture::from(
        cache
            .unchecked_into::<Cache>()
            .put_with_str(&file_key(id), &response),
    )
    .await
    .is_ok()
}

/// The picture kept on its way, with its file, if both are there.
pub async fn kept_picture() -> Option<(PictureRecord, File)> {
    let record = read_picture(&storage::load(Store::Local, PICTURE_KEY)?)?;
    let cache: Cache = JsFuture::from(caches()?.open(FILES))
        .await
        .ok()?
        .unchecked_into();
    let found: Response = JsFuture::from(cache.match_with_str(&file_key(&record.client_id)))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    let blob = JsFuture::from(found.blob().ok()?).await.ok()?;
    let bag = FilePropertyBag::new();
    bag.set_type(&record.media_type);
    let parts = js_sys::Array::of1(&blob);
    let file = File::new_with_blob_sequence_and_options(&parts, &record.name, &bag).ok()?;
    Some((record, file))
}

/// Forgets the picture kept on its way (the server has it, or the visitor discarded it).
pub fn drop_picture() {
    let Some(record) = storage::load(Store::Local, PICTURE_KEY) else {
        return;
    };
    storage::remove(Store::Local, PICTURE_KEY);
    if let Some(kept) = read_picture(&record) {
        drop_picture_file(&kept.client_id);
    }
}

/// Forgets the file of the picture `id` (nothing reads a file without its record, so one
/// left behind is never shown).
pub fn drop_picture_file(id: &ClientMessageId) {
    let (Some(caches), key) = (caches(), file_key(id)) else {
        return;
    };
    spawn_local(async move {
        if let Ok(cache) = JsFuture::from(caches.open(FILES)).await {
            let _ = JsFuture::from(cache.unchecked_into::<Cache>().delete_with_str(&key)).await;
        }
    });
}

/// The origin's Cache Storage, where the browser offers it (pages over HTTPS and on this
/// computer; none in some private modes).
fn caches() -> Option<CacheStorage> {
    web_sys::window()?.caches().ok()
}

/// The record of a picture on its way: its client id, its upload (or nothing), its media type
/// and its name, [`SEP`] between them (the name last: it may hold anything).
fn picture_record(record: &PictureRecord) -> String {
    let uploaded = record.uploaded.map(|id| id.to_string()).unwrap_or_default();
    format!(
        "{}{SEP}{uploaded}{SEP}{}{SEP}{}",
        record.client_id, record.media_type, record.name
    )
}

/// Reads [`picture_record`]; `None` for anything else.
fn read_picture(text: &str) -> Option<PictureRecord> {
    let mut parts = text.splitn(4, SEP);
    let client_id = ClientMessageId(parts.next()?.to_owned());
    let uploaded = match parts.next()? {
        "" => None,
        id => Some(id.parse().ok()?),
    };
    let media_type = parts.next()?.to_owned();
    let name = parts.next()?.to_owned();
    (client_id.is_valid() && !name.is_empty()).then_some(PictureRecord {
        client_id,
        uploaded,
        media_type,
        name,
    })
}

/// The record of a message on its way: its client id, [`SEP`], its text.
fn unsent_record(text: &str, id: &ClientMessageId) -> String {
    format!("{id}{SEP}{text}")
}

/// Reads [`unsent_record`]; `None` for anything else (a record of another version, or
/// changed by hand).
fn read_unsent(record: &str) -> Option<(String, ClientMessageId)> {
    let (id, text) = record.split_once(SEP)?;
    let id = ClientMessageId(id.to_owned());
    (id.is_valid() && !text.trim().is_empty()).then(|| (text.to_owned(), id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identified_page_never_sends_or_keeps_a_stored_token() {
        let stored = Some("tlv_anon".to_owned());
        assert_eq!(
            plan(stored.clone(), Some("cust.9.sig".into())),
            Resume::Identity("cust.9.sig".into())
        );
        assert_eq!(plan(stored, None), Resume::Token("tlv_anon".into()));
        assert_eq!(plan(None, None), Resume::Start);
        assert_eq!(
            plan(None, Some("cust.9.sig".into())),
            Resume::Identity("cust.9.sig".into())
        );
        assert!(keeps(false));
        assert!(!keeps(true));
    }

    #[test]
    fn a_picture_on_its_way_reads_back_as_written() {
        for (uploaded, name) in [
            (None, "receipt.png"),
            (Some(AttachmentId(1 << 41)), "a\u{1f}b.png"),
        ] {
            let record = PictureRecord {
                client_id: ClientMessageId("w-0123456789ab".into()),
                uploaded,
                media_type: "image/png".into(),
                name: name.into(),
            };
            assert_eq!(read_picture(&picture_record(&record)), Some(record));
        }
        for text in [
            "",
            "w-0123456789ab",
            "w-0123456789ab\u{1f}\u{1f}image/png\u{1f}",
            "w-0123456789ab\u{1f}seven\u{1f}image/png\u{1f}x.png",
            "bad id!\u{1f}\u{1f}image/png\u{1f}x.png",
        ] {
            assert_eq!(read_picture(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_message_on_its_way_reads_back_as_written() {
        let id = ClientMessageId("w-0123456789ab".into());
        for text in ["Where is my order?", "two\nlines", "a \u{1f} in the text"] {
            let record = unsent_record(text, &id);
            assert_eq!(read_unsent(&record), Some((text.to_owned(), id.clone())));
        }
        // Anything else is nothing to put back.
        for record in [
            "",
            "no separator",
            "\u{1f}text",
            "bad id!\u{1f}text",
            "w-0123456789ab\u{1f}  ",
        ] {
            assert_eq!(read_unsent(record), None, "{record:?}");
        }
    }
}
