//! The platforms' delivery and read receipts in their webhook bodies: Messenger's `delivery`
//! (`mids`, `watermark`) and `read` (`watermark`) messaging events, X's
//! `direct_message_mark_read_events` (`sender_id`, `last_read_event_id`). Read whole and
//! checked before anything of the body is stored, like the messages beside them; applied by
//! `Store::platform_receipt` (the one rule for receipts) after the messages are committed.

use crate::error::ApiError;
use crate::store::{PlatformReceipt, MAX_RECEIPT_IDS};
use serde::Deserialize;
use wire::Channel;

/// The most receipts one body may carry (each is a write): Meta batches at most 1000 entries.
const MAX_RECEIPTS: usize = 1000;

/// Refuses a body with more than [`MAX_RECEIPTS`] receipts.
fn bounded(receipts: Vec<PlatformReceipt>) -> Result<Vec<PlatformReceipt>, ApiError> {
    if receipts.len() > MAX_RECEIPTS {
        return Err(invalid(format!(
            "a body may carry at most {MAX_RECEIPTS} delivery and read receipts"
        )));
    }
    Ok(receipts)
}

fn invalid(why: impl std::fmt::Display) -> ApiError {
    ApiError::InvalidWebhook(format!("the webhook body is not valid: {why}"))
}

/// Messenger's receipts, in the shape Meta documents (other fields are ignored).
mod meta_shape {
    use serde::Deserialize;

    /// The body's envelope.
    #[derive(Deserialize)]
    pub(super) struct Envelope {
        /// `page` for Messenger; another object has no receipts.
        pub(super) object: String,
        /// The entries (required for a Page's object; the message reader says so).
        #[serde(default)]
        pub(super) entry: Vec<serde_json::Value>,
    }

    /// One entry: a Page's messaging events (a feed change has none).
    #[derive(Deserialize)]
    pub(super) struct Entry {
        /// The Page's id: receipts for another Page than `--meta-page-id` are skipped.
        pub(super) id: String,
        /// The Page's messaging events; only receipts are read here.
        #[serde(default)]
        pub(super) messaging: Vec<Messaging>,
    }

    /// One messaging event; a message or a postback has neither receipt.
    #[derive(Deserialize)]
    pub(super) struct Messaging {
        /// The customer whose device received or read our messages.
        pub(super) sender: Party,
        /// "These messages arrived, and everything before the watermark".
        pub(super) delivery: Option<Delivery>,
        /// "Everything before the watermark was read".
        pub(super) read: Option<Read>,
    }

    /// A party of an event.
    #[derive(Deserialize)]
    pub(super) struct Party {
        /// Its platform id.
        pub(super) id: String,
    }

    /// A delivery receipt.
    #[derive(Deserialize)]
    pub(super) struct Delivery {
        /// The ids of messages delivered (Meta may leave them out).
        #[serde(default)]
        pub(super) mids: Vec<String>,
        /// Every message sent before this time (ms) was delivered.
        pub(super) watermark: i64,
    }

    /// A read receipt.
    #[derive(Deserialize)]
    pub(super) struct Read {
        /// Every message sent before this time (ms) was read.
        pub(super) watermark: i64,
    }
}

/// A Meta id (a page-scoped id, a Page id): 1 to 64 ASCII letters and digits.
fn meta_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// An X id: 1 to 32 ASCII digits.
fn x_id(id: &str) -> bool {
    (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// Messenger's delivery and read receipts in a (signed) body, checked whole: a 400
/// `invalid_webhook` for a receipt without its watermark, a bad id or too many ids. Receipts
/// of another Page, or from the Page itself, are skipped.
pub(super) fn meta(body: &[u8], page_id: Option<&str>) -> Result<Vec<PlatformReceipt>, ApiError> {
    let envelope: meta_shape::Envelope = serde_json::from_slice(body).map_err(invalid)?;
    if envelope.object != "page" {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for value in envelope.entry {
        let entry: meta_shape::Entry = serde_json::from_value(value).map_err(invalid)?;
        let other_page = page_id.is_some_and(|p| p != entry.id);
        for item in entry.messaging {
            let customer = item.sender.id;
            if item.delivery.is_none() && item.read.is_none() {
                continue;
            }
            if !meta_id(&customer) {
                return Err(invalid("sender.id is not a Page-scoped id"));
            }
            let skip = other_page || customer == entry.id;
            let before = out.len();
            if let Some(delivery) = item.delivery {
                if delivery.mids.len() > MAX_RECEIPT_IDS {
                    return Err(invalid(format!(
                        "a delivery may name at most {MAX_RECEIPT_IDS} mids"
                    )));
                }
                if delivery.mids.iter().any(|m| {
                    m.is_empty() || m.len() > 256 || !m.bytes().all(|b| b.is_ascii_graphic())
                }) {
                    return Err(invalid(
                        "delivery.mids must be 1 to 256 visible ASCII characters each",
                    ));
                }
                out.push(PlatformReceipt {
                    channel: Channel::Messenger,
                    customer: customer.clone(),
                    read: false,
                    platform_ids: delivery.mids,
                    watermark: Some(delivery.watermark),
                    up_to_platform_id: None,
                });
            }
            if let Some(read) = item.read {
                out.push(PlatformReceipt {
                    channel: Channel::Messenger,
                    customer: customer.clone(),
                    read: true,
                    platform_ids: Vec::new(),
                    watermark: Some(read.watermark),
                    up_to_platform_id: None,
                });
            }
            if skip {
                out.truncate(before);
            }
        }
    }
    bounded(out)
}

/// X's read receipts, in the shape X documents (other fields are ignored).
#[derive(Deserialize)]
struct XBody {
    /// The account the events are for: another than `--x-user-id` is skipped.
    for_user_id: Option<String>,
    /// "The sender read the conversation up to this Direct Message".
    #[serde(default)]
    direct_message_mark_read_events: Vec<MarkRead>,
}

/// One read event.
#[derive(Deserialize)]
struct MarkRead {
    /// Who read: the customer (our own account reading theirs is skipped).
    sender_id: String,
    /// The last Direct Message they read: ours, and every one we sent before it, are read.
    last_read_event_id: String,
}

/// X's read receipts in a (signed) body, checked whole: a 400 `invalid_webhook` for a missing
/// field or an id that is not an X id. Our own account's reads and bodies for another account
/// are skipped.
pub(super) fn x(body: &[u8], our_id: Option<&str>) -> Result<Vec<PlatformReceipt>, ApiError> {
    let body: XBody = serde_json::from_slice(body).map_err(invalid)?;
    let mut out = Vec::new();
    for event in body.direct_message_mark_read_events {
        if !x_id(&event.sender_id) || !x_id(&event.last_read_event_id) {
            return Err(invalid(
                "a read event's sender_id or last_read_event_id is not an X id",
            ));
        }
        if our_id == Some(event.sender_id.as_str()) {
            continue;
        }
        out.push(PlatformReceipt {
            channel: Channel::TwitterDm,
            customer: event.sender_id,
            read: true,
            platform_ids: vec![event.last_read_event_id.clone()],
            watermark: None,
            up_to_platform_id: Some(event.last_read_event_id),
        });
    }
    let other_account = match (our_id, body.for_user_id.as_deref()) {
        (Some(ours), Some(theirs)) => ours != theirs,
        _ => false,
    };
    if other_account {
        out.clear();
    }
    bounded(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bytes(v: &serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(v).expect("json")
    }

    #[test]
    fn messenger_delivery_and_read() {
        let body = json!({"object": "page", "entry": [{"id": "77", "time": 1, "messaging": [
            {"sender": {"id": "123"}, "recipient": {"id": "77"},
             "delivery": {"mids": ["m_1", "m_2"], "watermark": 1_700_000_000_000_i64}},
            {"sender": {"id": "123"}, "recipient": {"id": "77"}, "timestamp": 5,
             "read": {"watermark": 1_700_000_000_500_i64}},
            {"sender": {"id": "123"}, "recipient": {"id": "77"},
             "message": {"mid": "m_x", "text": "hi"}}]}]});
        let got = meta(&bytes(&body), Some("77")).expect("valid");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].platform_ids, vec!["m_1", "m_2"]);
        assert!(!got[0].read);
        assert_eq!(got[1].watermark, Some(1_700_000_000_500));
        assert!(got[1].read);
        // Another Page's receipts are skipped.
        assert!(meta(&bytes(&body), Some("78")).expect("valid").is_empty());
    }

    #[test]
    fn messenger_receipts_without_their_fields_are_refused() {
        for messaging in [
            json!({"sender": {"id": "123"}, "delivery": {"mids": ["m_1"]}}),
            json!({"sender": {"id": "123"}, "read": {}}),
            json!({"sender": {"id": "1 2"}, "read": {"watermark": 1}}),
            json!({"sender": {"id": "123"}, "delivery": {"mids": [""], "watermark": 1}}),
            json!({"sender": {"id": "123"}, "delivery": {"mids": vec!["m"; 101], "watermark": 1}}),
        ] {
            let body = json!({"object": "page", "entry": [{"id": "77", "messaging": [messaging]}]});
            assert!(meta(&bytes(&body), None).is_err(), "{body}");
        }
    }

    #[test]
    fn x_mark_read() {
        let body = json!({"for_user_id": "900", "direct_message_mark_read_events": [
            {"created_timestamp": "1", "sender_id": "42", "target": {"recipient_id": "900"},
             "last_read_event_id": "17"},
            {"created_timestamp": "1", "sender_id": "900", "target": {"recipient_id": "42"},
             "last_read_event_id": "16"}]});
        let got = x(&bytes(&body), Some("900")).expect("valid");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].customer, "42");
        assert_eq!(got[0].up_to_platform_id.as_deref(), Some("17"));
        assert!(x(&bytes(&body), Some("901")).expect("valid").is_empty());
        let bad = json!({"direct_message_mark_read_events": [{"sender_id": "42"}]});
        assert!(x(&bytes(&bad), None).is_err());
        let one = json!({"sender_id": "42", "last_read_event_id": "17"});
        let many = json!({"direct_message_mark_read_events": vec![one; MAX_RECEIPTS + 1]});
        assert!(x(&bytes(&many), None).is_err());
    }
}
