//! What the widget checks before anything is sent, so the visitor hears about a problem at
//! once: the rules of `wire::checks`, which the server applies too, in the panel's words.

use wire::checks;
use wire::limits::MAX_MESSAGE_CHARS;

/// Checks a message's text with the rule the server applies; the error is the sentence the
/// panel shows.
pub fn check_text(text: &str) -> Result<(), String> {
    checks::message_text(text, MAX_MESSAGE_CHARS, false).map_err(|e| {
        let what = e.describe("Your message");
        if e.is_too_large() {
            format!("{what}. Shorten it and send again.")
        } else {
            format!("{what}.")
        }
    })
}

/// Checks the name and email address typed before a chat starts (both may be empty) with the
/// character rule the server applies; the error is the sentence the panel shows.
pub fn check_details(name: &str, email: &str) -> Result<(), String> {
    for (field, value) in [("Your name", name), ("Your email address", email)] {
        checks::characters(value.trim(), checks::Lines::One)
            .map_err(|e| format!("{}.", e.describe(field)))?;
    }
    Ok(())
}

/// Checks an image before upload, from the browser's idea of its type and its size in bytes.
pub fn check_image(content_type: &str, size: f64) -> Result<(), String> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    // file sizes are whole bytes
    let bytes = size as u64;
    checks::image_default(content_type, bytes).map_err(|e| {
        let field = if e == checks::CheckError::NotAnImage {
            "That file"
        } else {
            "That image"
        };
        format!("{}.", e.describe(field))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limit_counts_characters_not_bytes() {
        assert!(check_text(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        let err = check_text(&"a".repeat(MAX_MESSAGE_CHARS + 1)).unwrap_err();
        assert!(err.contains("too long"), "{err}");
    }

    #[test]
    fn hidden_characters_are_refused_before_sending() {
        let err = check_text("hi \u{202E}olleh").unwrap_err();
        assert!(
            err.contains("invisible") && !err.contains("Shorten"),
            "{err}"
        );
        assert!(check_details("Ann Lee", "").is_ok());
        assert!(check_details("Ann\u{202E}", "")
            .unwrap_err()
            .starts_with("Your name"));
        assert!(check_details("", "a\u{0}@b.example")
            .unwrap_err()
            .starts_with("Your email address"));
    }

    #[test]
    fn images_are_checked_for_type_and_size() {
        assert!(check_image("image/png", 1000.0).is_ok());
        assert!(check_image("image/webp", 5.0 * 1_048_576.0).is_ok());
        assert!(check_image("image/svg+xml", 10.0)
            .unwrap_err()
            .contains("PNG"));
        assert!(check_image("image/jpeg", 5.0 * 1_048_576.0 + 1.0)
            .unwrap_err()
            .contains("too large (5.1 MB)"));
    }
}
