//! What the desktop's unit tests build their data from.

use wire::{Author, ContactId, InteractionId, MessageId, MessageView};

/// A contact's message `id` in interaction 1 of contact 1: `seq` is its id and its text
/// `m<id>`; a test changes what it needs with struct update syntax.
pub fn message(id: i64) -> MessageView {
    MessageView {
        id: MessageId(id),
        contact_id: ContactId(1),
        interaction_id: InteractionId(1),
        seq: id,
        author: Author::Contact,
        text: format!("m{id}"),
        attachment: None,
        client_id: None,
        created_at: 0,
        delivered_at: None,
        read_at: None,
        system: None,
        outbound: None,
        reply_to: None,
    }
}
