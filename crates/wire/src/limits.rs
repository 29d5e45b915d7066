//! Limits both sides know. The server enforces them (some are configurable there; these are
//! the defaults); the UIs check early so a person hears about it before anything is sent.

/// Longest message text, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Largest image upload, in bytes.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Largest image width or height, in pixels.
pub const MAX_IMAGE_DIMENSION: u32 = 8000;
/// Largest image area, in pixels (stops decompression bombs).
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;
/// Most frames in an animated image (GIF, APNG, WebP): each is decoded in full by whoever
/// shows it.
pub const MAX_IMAGE_FRAMES: u64 = 100;
/// The image types accepted, as sniffed from the bytes.
pub const IMAGE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/// Most messages in one page of a conversation.
pub const MAX_PAGE: u32 = 500;

/// Longest Tweet, in X's weighted count ([`tweet_weight`]).
pub const TWEET_MAX_WEIGHT: usize = 280;

/// A text's length as X counts a Tweet: every link (`http://` or `https://` up to the next
/// space) as 23, characters in the ranges X weighs 1 (Latin, Greek, Cyrillic, Hebrew, Arabic,
/// Indic scripts and general punctuation: U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F,
/// U+2032–U+2037) as 1, and everything else (CJK, emoji, …) as 2.
pub fn tweet_weight(text: &str) -> usize {
    let mut total = 0;
    for word in text.split_inclusive(char::is_whitespace) {
        let trimmed = word.trim_end_matches(char::is_whitespace);
        let link = trimmed.starts_with("https://") || trimmed.starts_with("http://");
        if link && trimmed.len() > "https://".len() {
            total += 23
                + word[trimmed.len()..]
                    .chars()
                    .map(char_weight)
                    .sum::<usize>();
        } else {
            total += word.chars().map(char_weight).sum::<usize>();
        }
    }
    total
}

/// One character's weight in [`tweet_weight`].
fn char_weight(c: char) -> usize {
    match u32::from(c) {
        0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tweets_are_weighed_as_x_does() {
        assert_eq!(tweet_weight("hello"), 5);
        assert_eq!(
            tweet_weight("see https://example.com/a/very/long/path ok"),
            4 + 23 + 3
        );
        assert_eq!(tweet_weight("こんにちは"), 10);
        assert_eq!(tweet_weight("😀"), 2);
        assert_eq!(tweet_weight(&"a".repeat(280)), 280);
        assert_eq!(tweet_weight("http:// x"), 9);
    }
}
