//! The board's signals: the last snapshot, when it arrived, the reasons an agent can be set
//! Not Ready with, and the one refresh in flight (events that arrive meanwhile ask for one more
//! refresh after it, never for one each).

use crate::api::Api;
use crate::time::now;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::board::Board;
use wire::{Millis, NotReadyReason};

/// The board, as a context.
#[derive(Debug, Clone, Copy)]
pub struct BoardState {
    /// The last snapshot (none before the first arrives).
    pub board: RwSignal<Option<Board>>,
    /// The browser's clock when it arrived: waits run on from the server's `at` by the time
    /// passed here, so a browser clock set wrong does not skew them.
    pub received: RwSignal<Millis>,
    /// The browser's clock, ticking every second while the board is shown.
    pub now: RwSignal<Millis>,
    /// Why the board could not be read or an action failed (shown until the next success).
    pub error: RwSignal<Option<String>>,
    /// The Not Ready reasons.
    pub reasons: RwSignal<Vec<NotReadyReason>>,
    /// When the last read started (the browser's clock).
    asked: StoredValue<Millis>,
    /// Whether a refresh is running.
    busy: StoredValue<bool>,
    /// Whether something changed while it ran.
    again: StoredValue<bool>,
}

impl BoardState {
    /// Empty, before the first snapshot.
    pub fn new() -> Self {
        BoardState {
            board: RwSignal::new(None),
            received: RwSignal::new(now()),
            now: RwSignal::new(now()),
            error: RwSignal::new(None),
            reasons: RwSignal::new(Vec::new()),
            asked: StoredValue::new(now()),
            busy: StoredValue::new(false),
            again: StoredValue::new(false),
        }
    }

    /// The server's clock now, as far as the board knows it.
    pub fn server_now(self) -> Millis {
        let at = self.board.with(|b| b.as_ref().map_or(0, |b| b.at));
        at + (self.now.get() - self.received.get())
    }

    /// Reads the board again, unless a read is running (then once more after it).
    pub fn refresh(self, api: &Api) {
        if self.busy.get_value() {
            self.again.set_value(true);
            return;
        }
        self.busy.set_value(true);
        let api = api.clone();
        spawn_local(async move {
            loop {
                self.again.set_value(false);
                let read = self.load(&api).await;
                if !read || !self.again.get_value() {
                    break;
                }
            }
            self.busy.set_value(false);
        });
    }

    /// Reads the board again if no read has started for `every` ms. Time alone changes it: an
    /// agent whose desktop closed counts as offline once the presence timeout has passed since
    /// they were last seen, and nothing is logged then.
    pub fn refresh_if_older(self, api: &Api, every: Millis) {
        if now() - self.asked.get_value() >= every {
            self.refresh(api);
        }
    }

    /// Reads the board once; `false` if it failed (the error is shown).
    pub async fn load(self, api: &Api) -> bool {
        self.asked.set_value(now());
        match api.board().await {
            Ok(board) => {
                self.received.set(now());
                self.now.set(now());
                self.board.set(Some(board));
                self.error.set(None);
                true
            }
            Err(e) => {
                self.error.set(Some(e.to_string()));
                false
            }
        }
    }

    /// The label of a Not Ready reason code.
    pub fn reason_label(self, code: &str) -> String {
        if code == wire::ReasonCode::LOGGED_OUT {
            return "Logged out".to_owned();
        }
        self.reasons.with(|r| {
            r.iter()
                .find(|x| x.code.0 == code)
                .map_or_else(|| code.to_owned(), |x| x.label.clone())
        })
    }
}

impl Default for BoardState {
    fn default() -> Self {
        Self::new()
    }
}
