//! Per-channel settings as administrators set them (`/api/admin/channels`): whether chats stay
//! open for asynchronous messaging when the contact leaves, whether public items are offered to
//! agents, how long an offer waits for an answer, and how long a chat whose contact responded
//! is kept for the agent who wrote last ("contact responded" reservation). The rules are checked
//! by the server and by the console's form alike.

use crate::Channel;
use serde::{Deserialize, Serialize};

/// Shortest offer timeout, seconds.
pub const MIN_OFFER_TIMEOUT_SECS: u32 = 5;
/// Longest offer timeout, seconds (ten minutes).
pub const MAX_OFFER_TIMEOUT_SECS: u32 = 600;
/// Longest reservation window, seconds (24 hours); 0 means no reservation.
pub const MAX_RESERVATION_SECS: u32 = 24 * 60 * 60;

/// Why an agent cannot write to `contact_name` on `channel`, where asynchronous chat is off
/// and no chat is open: the server's `async_chat_off` answer and the desktop's note in place of
/// the composer say the same.
pub fn async_off_text(channel: Channel, contact_name: &str) -> String {
    format!(
        "Asynchronous chat is off for {}: you can answer {contact_name} when they start a new chat",
        channel.label()
    )
}

/// One channel's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelSettings {
    /// Which channel.
    pub channel: Channel,
    /// Asynchronous chat: the conversation goes on after the contact leaves, and agents write
    /// to them for their next visit. Off, a chat lasts while the contact is there: a Web Chat
    /// visitor who leaves ends it, and only the contact starts the next one.
    pub async_chat: bool,
    /// Whether public items (posts, Tweets) of this channel are offered to agents.
    pub offer_public: bool,
    /// How long an offer waits for `Accept` before going to the next agent, seconds (5 to 600).
    pub offer_timeout_secs: u32,
    /// How long a chat whose contact responded is kept for the agent who wrote last before
    /// any agent may get it, seconds (0 to 86400; 0: no reservation).
    pub reservation_secs: u32,
}

impl ChannelSettings {
    /// Checks the values.
    ///
    /// # Errors
    /// The first value that is wrong, said in words.
    pub fn check(&self) -> Result<(), String> {
        if !(MIN_OFFER_TIMEOUT_SECS..=MAX_OFFER_TIMEOUT_SECS).contains(&self.offer_timeout_secs) {
            return Err(format!(
                "the offer timeout must be from {MIN_OFFER_TIMEOUT_SECS} to \
                 {MAX_OFFER_TIMEOUT_SECS} seconds"
            ));
        }
        if self.reservation_secs > MAX_RESERVATION_SECS {
            return Err(format!(
                "the reservation window must be from 0 to {MAX_RESERVATION_SECS} seconds (24 hours)"
            ));
        }
        Ok(())
    }
}

/// Every channel's settings, in the order the UI lists channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelSettingsList {
    /// One entry per channel.
    pub channels: Vec<ChannelSettings>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let mut s = ChannelSettings {
            channel: Channel::WebChat,
            async_chat: true,
            offer_public: false,
            offer_timeout_secs: 5,
            reservation_secs: 0,
        };
        assert!(s.check().is_ok());
        s.offer_timeout_secs = 4;
        assert!(s.check().is_err());
        s.offer_timeout_secs = 600;
        s.reservation_secs = MAX_RESERVATION_SECS;
        assert!(s.check().is_ok());
        s.reservation_secs += 1;
        assert!(s.check().is_err());
        s.reservation_secs = 0;
        s.offer_timeout_secs = 601;
        assert!(s.check().is_err());
    }
}
