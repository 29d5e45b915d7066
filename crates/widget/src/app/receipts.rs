//! Receipts for the agent's messages: received as soon as they arrive, read when the visitor
//! can see them; the unread count goes to the loader.

use super::App;
use crate::api;
use wasm_bindgen_futures::spawn_local;
use wire::api::ReceiptRequest;

impl App {
    /// Sends receipts for agent messages: received always, read when the visitor sees them.
    pub(super) fn ack(&mut self) {
        let (Some(token), Some(last)) = (self.token(), self.transcript.last_agent_seq()) else {
            return;
        };
        let shown = self.shown();
        let read = if shown && last > self.receipts.read_sent {
            self.receipts.read_sent = last;
            self.receipts.delivered_sent = self.receipts.delivered_sent.max(last);
            true
        } else if last > self.receipts.delivered_sent {
            self.receipts.delivered_sent = last;
            false
        } else {
            if shown && self.receipts.unread > 0 {
                self.receipts.unread = 0;
                self.post_unread();
            }
            return;
        };
        if read {
            self.receipts.unread = 0;
            self.post_unread();
        }
        let request = ReceiptRequest {
            up_to_seq: last,
            read,
        };
        spawn_local(async move {
            let _ = api::receipts(&token, request).await;
        });
    }
}
