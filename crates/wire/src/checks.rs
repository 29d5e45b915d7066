//! The pre-send checks, as pure functions: the server refuses with them and both browsers
//! check with them before anything leaves the page, so the rule exists once. Each returns a
//! [`CheckError`] whose [`CheckError::describe`] says what is wrong with the field named.

use crate::limits::{IMAGE_TYPES, MAX_IMAGE_BYTES};

/// Why a value would be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckError {
    /// Nothing but white space (and nothing attached).
    Empty,
    /// Longer than allowed.
    TooLong {
        /// Its length, in characters (not bytes: what a person counts).
        chars: usize,
        /// The most allowed, in characters.
        max: usize,
    },
    /// A control character other than a line break or a tab.
    ControlChars,
    /// A line break in a field that holds one line (a name, a subject).
    MultiLine,
    /// Not one of [`IMAGE_TYPES`].
    NotAnImage,
    /// An image over the size limit.
    ImageTooLarge {
        /// Its size, in bytes.
        bytes: u64,
        /// The most allowed, in bytes.
        max: u64,
    },
}

impl CheckError {
    /// The sentence that says what is wrong with `field` (for example "the message"), in the
    /// words both the API's error body and the browsers' alerts use.
    pub fn describe(&self, field: &str) -> String {
        match *self {
            CheckError::Empty => format!("{field} is empty"),
            CheckError::TooLong { chars, max } => {
                format!("{field} is too long ({chars} characters; at most {max})")
            }
            CheckError::ControlChars => format!("{field} contains control characters"),
            CheckError::MultiLine => format!("{field} must be one line"),
            CheckError::NotAnImage => {
                format!("{field} can't be sent: choose a PNG, JPEG, GIF or WebP image")
            }
            CheckError::ImageTooLarge { bytes, max } => {
                // Tenths of a megabyte, rounded up, without float formatting in the bundles.
                let tenths = bytes.saturating_mul(10).div_ceil(1_048_576);
                format!(
                    "{field} is too large ({}.{} MB): images can be at most {} MB",
                    tenths / 10,
                    tenths % 10,
                    max / 1_048_576
                )
            }
        }
    }

    /// Whether the value is refused for its size (the API answers 413 rather than 400).
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            CheckError::TooLong { .. } | CheckError::ImageTooLarge { .. }
        )
    }
}

/// Whether `c` may appear in free text: printable, or a line break or tab.
fn allowed_in_text(c: char) -> bool {
    !c.is_control() || matches!(c, '\n' | '\r' | '\t')
}

/// A message's text: not empty after trimming (unless an image goes with it), at most
/// `max_chars` characters, no control characters but line breaks and tabs.
pub fn message_text(text: &str, max_chars: usize, has_attachment: bool) -> Result<(), CheckError> {
    if text.trim().is_empty() && !has_attachment {
        return Err(CheckError::Empty);
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(CheckError::TooLong {
            chars,
            max: max_chars,
        });
    }
    if !text.chars().all(allowed_in_text) {
        return Err(CheckError::ControlChars);
    }
    Ok(())
}

/// A one-line field (a name, an email address): not empty after trimming, at most
/// `max_chars` characters, no line breaks or other control characters.
pub fn one_line(text: &str, max_chars: usize) -> Result<(), CheckError> {
    if text.trim().is_empty() {
        return Err(CheckError::Empty);
    }
    if text.contains(['\n', '\r']) {
        return Err(CheckError::MultiLine);
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(CheckError::TooLong {
            chars,
            max: max_chars,
        });
    }
    if text.chars().any(char::is_control) {
        return Err(CheckError::ControlChars);
    }
    Ok(())
}

/// An image, from its declared (browser) or sniffed (server) type and its size in bytes.
pub fn image(content_type: &str, bytes: u64, max_bytes: u64) -> Result<(), CheckError> {
    if !IMAGE_TYPES.contains(&content_type) {
        return Err(CheckError::NotAnImage);
    }
    if bytes > max_bytes {
        return Err(CheckError::ImageTooLarge {
            bytes,
            max: max_bytes,
        });
    }
    Ok(())
}

/// [`image`] with the default limit, [`MAX_IMAGE_BYTES`].
pub fn image_default(content_type: &str, bytes: u64) -> Result<(), CheckError> {
    image(content_type, bytes, MAX_IMAGE_BYTES as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MAX_MESSAGE_CHARS;

    #[test]
    fn message_text_is_trimmed_counted_in_characters_and_kept_printable() {
        assert_eq!(message_text("  \n ", 10, false), Err(CheckError::Empty));
        assert_eq!(message_text("  ", 10, true), Ok(()));
        assert_eq!(
            message_text(&"é".repeat(MAX_MESSAGE_CHARS), MAX_MESSAGE_CHARS, false),
            Ok(())
        );
        let err = message_text(&"a".repeat(51), 50, false).unwrap_err();
        assert_eq!(err, CheckError::TooLong { chars: 51, max: 50 });
        assert!(err.is_too_large());
        assert_eq!(
            err.describe("the message"),
            "the message is too long (51 characters; at most 50)"
        );
        assert_eq!(message_text("a\tb\r\nc", 50, false), Ok(()));
        assert_eq!(
            message_text("a\u{7}b", 50, false),
            Err(CheckError::ControlChars)
        );
        assert_eq!(
            CheckError::Empty.describe("the message"),
            "the message is empty"
        );
    }

    #[test]
    fn one_line_fields_refuse_line_breaks() {
        assert_eq!(one_line("Fiona", 100), Ok(()));
        assert_eq!(one_line(" ", 100), Err(CheckError::Empty));
        assert_eq!(one_line("a\nb", 100), Err(CheckError::MultiLine));
        assert_eq!(one_line("a\u{0}b", 100), Err(CheckError::ControlChars));
        assert_eq!(
            one_line("abcd", 3),
            Err(CheckError::TooLong { chars: 4, max: 3 })
        );
        assert_eq!(
            CheckError::MultiLine.describe("Your name"),
            "Your name must be one line"
        );
    }

    #[test]
    fn images_are_checked_for_type_and_size() {
        assert_eq!(image_default("image/png", 1000), Ok(()));
        assert_eq!(image_default("image/webp", 5 * 1_048_576), Ok(()));
        assert_eq!(
            image_default("image/svg+xml", 10),
            Err(CheckError::NotAnImage)
        );
        assert!(CheckError::NotAnImage
            .describe("That file")
            .contains("choose a PNG, JPEG, GIF or WebP image"));
        let big = image_default("image/jpeg", 5 * 1_048_576 + 1).unwrap_err();
        assert!(big.is_too_large());
        assert_eq!(
            big.describe("That image"),
            "That image is too large (5.1 MB): images can be at most 5 MB"
        );
    }
}
