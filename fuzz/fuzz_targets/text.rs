//! The one text rule (`wire::checks`): any text is accepted or refused without a panic, and
//! accepted text keeps its limits: a one-line field has no control characters at all, a message
//! none but line breaks and tabs, and neither is over its length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::checks::{message_text, one_line};

fuzz_target!(|text: &str| {
    if message_text(text, 4000, false).is_ok() {
        assert!(text.chars().count() <= 4000);
        assert!(!text.trim().is_empty());
        assert!(text
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t' || c == '\r'));
    }
    if one_line(text, 200).is_ok() {
        assert!(text.chars().count() <= 200);
        assert!(!text.chars().any(char::is_control));
    }
});
