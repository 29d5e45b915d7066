//! The pre-send checks, as pure functions: the server refuses with them and both browsers
//! check with them before anything leaves the page, so the rule exists once. Each returns a
//! [`CheckError`] whose [`CheckError::describe`] says what is wrong with the field named.
//!
//! [`characters`] is the one character rule for every text a person or a stranger sends
//! (messages, names, e-mail addresses, notes, search words, login names and passwords): no
//! control characters (NUL included), no invisible direction or zero-width marks
//! ([`is_hidden_format`]), and line breaks and tabs only in multi-line text ([`Lines::Many`]).

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
    /// An invisible direction (bidi) or zero-width mark: it can make text read differently
    /// from what is stored ([`is_hidden_format`]).
    FormatChars,
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
            CheckError::FormatChars => {
                format!("{field} contains invisible direction or zero-width characters")
            }
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

/// Whether a field holds several lines (a message, notes) or one (everything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: no line breaks and no tabs.
    One,
    /// Multi-line text: line breaks (`\n`, `\r`) and tabs are allowed.
    Many,
}

/// The invisible format characters refused in every text: the bidi embeddings, overrides,
/// isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), zero-width space,
/// word joiner and invisible operators (U+200B, U+2060–U+2064), the deprecated format
/// controls (U+206A–U+206F), the byte order mark (U+FEFF), the Mongolian vowel separator
/// (U+180E) and interlinear annotations (U+FFF9–U+FFFB). They reorder or hide what an agent
/// reads ("Trojan Source"). Zero-width joiner and non-joiner (U+200D, U+200C) stay allowed:
/// emoji sequences and several scripts (Persian, Indic) need them to be written at all.
pub fn is_hidden_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// The character rule every text input passes: no control characters (NUL, escape, …), no
/// [`is_hidden_format`] characters, and line breaks and tabs only where `lines` is
/// [`Lines::Many`]. Says nothing about emptiness or length: the callers' rules add those.
pub fn characters(text: &str, lines: Lines) -> Result<(), CheckError> {
    for c in text.chars() {
        match c {
            '\n' | '\r' if lines == Lines::One => return Err(CheckError::MultiLine),
            '\n' | '\r' | '\t' if lines == Lines::Many => {}
            c if c.is_control() => return Err(CheckError::ControlChars),
            c if is_hidden_format(c) => return Err(CheckError::FormatChars),
            _ => {}
        }
    }
    Ok(())
}

/// A message's text: not empty after trimming (unless an image goes with it), at most
/// `max_chars` characters, [`characters`] of multi-line text.
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
    characters(text, Lines::Many)
}

/// A one-line field (a name, an email address): not empty after trimming, at most
/// `max_chars` characters, [`characters`] of one line.
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
    characters(text, Lines::One)
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
    fn control_and_hidden_format_characters_are_refused_everywhere() {
        for lines in [Lines::One, Lines::Many] {
            assert_eq!(characters("a\u{0}b", lines), Err(CheckError::ControlChars));
            assert_eq!(
                characters("a\u{1b}[31m", lines),
                Err(CheckError::ControlChars)
            );
            assert_eq!(characters("a\u{7f}", lines), Err(CheckError::ControlChars));
            assert_eq!(characters("a\u{85}", lines), Err(CheckError::ControlChars));
            for hidden in [
                '\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{200E}', '\u{200F}',
                '\u{061C}', '\u{2060}', '\u{FEFF}',
            ] {
                assert_eq!(
                    characters(&format!("gpj.{hidden}exe"), lines),
                    Err(CheckError::FormatChars),
                    "{hidden:?}"
                );
                assert!(is_hidden_format(hidden));
            }
            // Emoji sequences, Persian and accented text are kept.
            assert_eq!(
                characters("👩\u{200D}💻 می\u{200C}خواهم é ✓", lines),
                Ok(())
            );
            assert_eq!(characters("", lines), Ok(()));
        }
        assert_eq!(
            characters("a\tb", Lines::One),
            Err(CheckError::ControlChars)
        );
        assert_eq!(characters("a\r\nb", Lines::One), Err(CheckError::MultiLine));
        assert_eq!(characters("a\tb\r\nc", Lines::Many), Ok(()));
        assert_eq!(
            message_text("hi \u{202E}olleh", 50, false),
            Err(CheckError::FormatChars)
        );
        assert_eq!(one_line("Ann\u{202E}", 50), Err(CheckError::FormatChars));
        assert_eq!(
            CheckError::FormatChars.describe("the name"),
            "the name contains invisible direction or zero-width characters"
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
