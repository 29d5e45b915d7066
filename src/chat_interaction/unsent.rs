//! Messages on their way, kept in `localStorage` until the server has them: a reload, a crash
//! or a closed tab does not lose a message whose send had failed or was never answered (sending
//! emptied the message box, so nothing else holds its text). At the next start in this browser
//! they come back in their conversations as failed, with `Retry` (their client ids make a retry
//! of a send the server did store harmless, and a page that holds one settles it) and `Discard`.
//! A message the server refused comes back as it was: with the server's reason and `Discard`
//! only (sending it again would be refused again), kept so its text can be copied and fixed.
//!
//! One key per agent; each record is a message's fields joined by `\x1f`, records joined by
//! `\x1e`: message text, file names and the rest cannot hold control characters
//! (`wire::checks`), so the separators never occur in a field; a refusal's reason, the last
//! field and only in a refused message's record, has them taken out.

use super::state::{Conversation, InteractionsState, Pending};
use crate::browser::{self, Store};
use leptos::prelude::*;
use std::collections::HashMap;
use std::str::FromStr;
use wire::{AttachmentView, ClientMessageId, ContactId};

/// Between the fields of a record.
const FIELD: char = '\x1f';
/// Between records.
const RECORD: char = '\x1e';

/// What a message put back says, in place of why it failed.
pub const NOT_SENT: &str = "The page closed before the server had this message.";

/// Puts back the agent's messages kept from before (they show as failed, with `Retry`), then
/// keeps the store in step with the messages on their way. Gives how many were put back as
/// not sent (a refused message, whose reason the agent saw, is put back but not counted).
pub fn keep(interactions: InteractionsState) -> usize {
    let key = format!("threadline.unsent.{}", interactions.me);
    let kept = browser::load(Store::Local, &key).unwrap_or_default();
    let back = decode(&kept);
    let count = back.iter().filter(|(_, p)| p.retryable).count();
    for (contact, pending) in back {
        interactions.add_pending(contact, pending);
    }
    // Written only when this page's own messages on their way change, so a second tab of the
    // same agent that has none leaves the first one's records alone.
    let written = StoredValue::new(kept);
    Effect::new(move |_| {
        let now = interactions.conversations.with(encode);
        if written.with_value(|w| *w != now) {
            if now.is_empty() {
                browser::remove(Store::Local, &key);
            } else {
                browser::save(Store::Local, &key, &now);
            }
            written.set_value(now);
        }
    });
    count
}

/// Every message on its way, as records.
fn encode(conversations: &HashMap<ContactId, Conversation>) -> String {
    let mut out = String::new();
    for (contact, conv) in conversations {
        for p in &conv.pending {
            let mut fields = vec![
                contact.to_string(),
                p.client_id.to_string(),
                field(p.interaction_id),
                field(p.reply_to),
                p.written_at.to_string(),
                p.text.clone(),
            ];
            if let Some(a) = &p.attachment {
                fields.extend([
                    a.id.to_string(),
                    a.content_type.clone(),
                    a.size.to_string(),
                    a.width.to_string(),
                    a.height.to_string(),
                    a.file_name.clone(),
                    a.url.clone(),
                ]);
            }
            if let (Some(why), false) = (&p.failed, p.retryable) {
                fields.push(why.replace([RECORD, FIELD], " "));
            }
            if !out.is_empty() {
                out.push(RECORD);
            }
            out.push_str(&fields.join(&*FIELD.encode_utf8(&mut [0; 4])));
        }
    }
    out
}

/// The records of [`encode`], each as failed: refused with its reason, or else not sent and
/// retryable; a record that does not read (another version's, or damaged) is left out.
fn decode(text: &str) -> Vec<(ContactId, Pending)> {
    text.split(RECORD).filter_map(record).collect()
}

/// One record.
fn record(text: &str) -> Option<(ContactId, Pending)> {
    let f: Vec<&str> = text.split(FIELD).collect();
    let (attachment, refused) = match f.get(6..)? {
        [] => (None, None),
        [why] => (None, Some(*why)),
        [a @ .., why] if a.len() == 7 => (Some(attachment(a)?), Some(*why)),
        a => (Some(attachment(a)?), None),
    };
    let client_id = ClientMessageId(f[1].to_owned());
    if !client_id.is_valid() {
        return None;
    }
    let pending = Pending {
        client_id,
        interaction_id: optional(f[2]).ok()?,
        text: f[5].to_owned(),
        attachment,
        written_at: f[4].parse().ok()?,
        failed: Some(refused.unwrap_or(NOT_SENT).to_owned()),
        retryable: refused.is_none(),
        reply_to: optional(f[3]).ok()?,
    };
    Some((f[0].parse().ok()?, pending))
}

/// A record's seven attachment fields; `None` when they do not read.
fn attachment(f: &[&str]) -> Option<AttachmentView> {
    match f {
        [id, content_type, size, width, height, file_name, url] => Some(AttachmentView {
            id: id.parse().ok()?,
            content_type: (*content_type).to_owned(),
            size: size.parse().ok()?,
            width: width.parse().ok()?,
            height: height.parse().ok()?,
            file_name: (*file_name).to_owned(),
            url: (*url).to_owned(),
        }),
        _ => None,
    }
}

/// An id that may be absent (an empty field).
fn optional<T: FromStr>(field: &str) -> Result<Option<T>, T::Err> {
    if field.is_empty() {
        Ok(None)
    } else {
        field.parse().map(Some)
    }
}

/// An id that may be absent, as a field.
fn field<T: ToString>(id: Option<T>) -> String {
    id.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{decode, encode, NOT_SENT};
    use crate::chat_interaction::state::{Conversation, Pending};
    use std::collections::HashMap;
    use wire::{
        AttachmentId, AttachmentView, ClientMessageId, ContactId, InteractionId, MessageId,
    };

    fn pending(id: &str, text: &str) -> Pending {
        Pending {
            client_id: ClientMessageId(id.to_owned()),
            interaction_id: None,
            text: text.to_owned(),
            attachment: None,
            written_at: 1_764_000_000_000,
            failed: None,
            retryable: false,
            reply_to: None,
        }
    }

    #[test]
    fn a_message_on_its_way_reads_back_as_not_sent_and_a_refused_one_with_its_reason() {
        let mut with_all = pending("d-00000001", "Hello,\n\ttwo lines é 👋");
        with_all.interaction_id = Some(InteractionId(12));
        with_all.reply_to = Some(MessageId(7));
        with_all.attachment = Some(AttachmentView {
            id: AttachmentId(3),
            content_type: "image/png".into(),
            size: 2048,
            width: 40,
            height: 30,
            file_name: "screen shot.png".into(),
            url: "/api/attachments/3".into(),
        });
        with_all.failed =
            Some("The server cannot be reached. Check the connection and try again.".into());
        with_all.retryable = true;
        let image_only = pending("d-00000002", "");
        let mut refused = pending("d-00000003", "Sent while a colleague chats");
        refused.failed = Some("Ana Silva is chatting with this contact".into());
        let mut refused_image = refused.clone();
        refused_image.client_id = ClientMessageId("d-00000004".into());
        refused_image.attachment = with_all.attachment.clone();
        refused_image.failed = Some("A reason\x1ewith\x1fseparators".into());
        let mut conversations = HashMap::new();
        conversations.insert(
            ContactId(5),
            Conversation {
                pending: vec![
                    with_all.clone(),
                    image_only.clone(),
                    refused.clone(),
                    refused_image.clone(),
                ],
                ..Conversation::default()
            },
        );
        conversations.insert(ContactId(6), Conversation::default());

        let mut back = decode(&encode(&conversations));
        back.sort_by(|a, b| a.1.client_id.cmp(&b.1.client_id));
        let as_put_back = |mut p: Pending| {
            p.failed = Some(NOT_SENT.to_owned());
            p.retryable = true;
            (ContactId(5), p)
        };
        refused_image.failed = Some("A reason with separators".into());
        assert_eq!(
            back,
            vec![
                as_put_back(with_all),
                as_put_back(image_only),
                (ContactId(5), refused),
                (ContactId(5), refused_image),
            ]
        );
        assert_eq!(encode(&HashMap::new()), "");
        assert!(decode("").is_empty());
    }

    #[test]
    fn a_record_that_does_not_read_is_left_out() {
        let good = "5\x1fd-00000001\x1f\x1f\x1f1\x1fhello";
        for bad in [
            "x\x1fd-00000001\x1f\x1f\x1f1\x1fhello",
            "5\x1fshort\x1f\x1f\x1f1\x1fhello",
            "5\x1fd-00000001\x1fnine\x1f\x1f1\x1fhello",
            "5\x1fd-00000001\x1f\x1f\x1f1",
            "5\x1fd-00000001\x1f\x1f\x1f1\x1fhello\x1f3\x1fimage/png",
            "5\x1fd-00000001\x1f\x1f\x1f1\x1fhello\x1fx\x1fimage/png\x1f1\x1f1\x1f1\x1fa.png\x1f/a",
            "garbage",
        ] {
            let text = format!("{bad}\x1e{good}");
            let back = decode(&text);
            assert_eq!(back.len(), 1, "{bad:?}");
            assert_eq!(back[0].1.text, "hello");
        }
    }
}
