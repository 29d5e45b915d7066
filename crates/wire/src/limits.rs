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
