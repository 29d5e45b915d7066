//! What the platforms behind Messenger and X allow an agent's reply, in one place for the
//! server, which refuses before it stores anything, and for the desktop's composer, which says
//! it before the agent types: the longest text per channel, and Messenger's reply window (a
//! standard reply within 24 hours of the contact's last message, a human agent's reply within
//! 7 days, then nothing until the contact writes again).

use crate::{Channel, Millis};

/// Longest Messenger text, in characters.
pub const MESSENGER_MAX_CHARS: usize = 2000;
/// Longest Facebook comment (a public reply on the Page), in characters.
pub const FACEBOOK_COMMENT_MAX_CHARS: usize = 8000;
/// Longest X Direct Message text, in characters.
pub const X_DM_MAX_CHARS: usize = 10_000;
/// Messenger's standard messaging window after the contact's last message.
pub const RESPONSE_WINDOW_MS: i64 = 24 * 3_600_000;
/// How long after the contact's last message a human agent may still answer on Messenger
/// (the `HUMAN_AGENT` message tag).
pub const HUMAN_AGENT_WINDOW_MS: i64 = 7 * 24 * 3_600_000;

/// The longest text, in characters, the platform behind `channel` takes (none for Web Chat,
/// whose limit is only the server's own, and for Tweets, counted by weight:
/// [`crate::limits::tweet_weight`]).
pub fn max_chars(channel: Channel) -> Option<usize> {
    match channel {
        Channel::Messenger => Some(MESSENGER_MAX_CHARS),
        Channel::TwitterDm => Some(X_DM_MAX_CHARS),
        Channel::FacebookPost => Some(FACEBOOK_COMMENT_MAX_CHARS),
        Channel::WebChat | Channel::Tweet => None,
    }
}

/// Where Messenger's reply window stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyWindow {
    /// A standard reply (`messaging_type: RESPONSE`) is allowed until `until`.
    Standard {
        /// When the 24 hours end.
        until: Millis,
    },
    /// Only a human agent's reply (`MESSAGE_TAG` `HUMAN_AGENT`) is allowed, until `until`.
    HumanAgent {
        /// When the 7 days end.
        until: Millis,
    },
    /// Nothing can be sent until the contact writes again.
    Closed,
}

/// Messenger's window at `now` for a contact who last wrote (on Messenger) at
/// `contact_wrote_at`; a contact who never wrote there cannot be written to.
pub fn messenger_window(contact_wrote_at: Option<Millis>, now: Millis) -> ReplyWindow {
    let Some(wrote) = contact_wrote_at else {
        return ReplyWindow::Closed;
    };
    let since = now.saturating_sub(wrote);
    if since <= RESPONSE_WINDOW_MS {
        ReplyWindow::Standard {
            until: wrote.saturating_add(RESPONSE_WINDOW_MS),
        }
    } else if since <= HUMAN_AGENT_WINDOW_MS {
        ReplyWindow::HumanAgent {
            until: wrote.saturating_add(HUMAN_AGENT_WINDOW_MS),
        }
    } else {
        ReplyWindow::Closed
    }
}

/// Why nothing can be sent to `contact_name` on Messenger now: the server's `outside_window`
/// answer and the desktop's note in place of the composer say the same.
pub fn closed_text(contact_name: &str) -> String {
    format!(
        "Messenger allows answers only within 7 days of {contact_name}'s last message: you can \
         answer when they write again"
    )
}

/// Why a text is too long for `channel`'s platform (the server's `too_long` answer and the
/// composer's note).
pub fn too_long_text(channel: Channel, max: usize, chars: usize) -> String {
    format!(
        "{} takes at most {max} characters; this message has {chars}",
        channel.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_moves_from_standard_to_human_agent_to_closed() {
        let wrote = 1_000_000;
        assert_eq!(
            messenger_window(Some(wrote), wrote + 60_000),
            ReplyWindow::Standard {
                until: wrote + RESPONSE_WINDOW_MS
            }
        );
        assert_eq!(
            messenger_window(Some(wrote), wrote + RESPONSE_WINDOW_MS + 1),
            ReplyWindow::HumanAgent {
                until: wrote + HUMAN_AGENT_WINDOW_MS
            }
        );
        assert_eq!(
            messenger_window(Some(wrote), wrote + HUMAN_AGENT_WINDOW_MS + 1),
            ReplyWindow::Closed
        );
        assert_eq!(messenger_window(None, wrote), ReplyWindow::Closed);
    }

    #[test]
    fn only_the_platforms_set_a_length() {
        assert_eq!(max_chars(Channel::Messenger), Some(2000));
        assert_eq!(max_chars(Channel::TwitterDm), Some(10_000));
        assert_eq!(max_chars(Channel::WebChat), None);
    }
}
