//! What an accepted image carries besides its pixels: metadata is stripped before it is
//! stored (a phone photo's EXIF names where and when it was taken, and the device), and
//! animations are counted so one with too many frames is refused before anyone decodes it.
//!
//! # Layout
//! - [`strip_metadata`]: drops EXIF, XMP, IPTC, comments and text chunks from JPEG, PNG and
//!   WebP, keeping the pixels and colour profile byte for byte (no re-encoding).
//! - [`frame_count`]: frames of an animated GIF, APNG or WebP (1 for a still image).

use img_parts::jpeg::{markers, Jpeg};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{Bytes, ImageEXIF};

/// JPEG application segments that hold metadata: APP1 (EXIF, XMP), APP12 ("Ducky"), APP13
/// (IPTC, Photoshop), APP14 stays (Adobe colour transform), APP2 stays (ICC profile).
const JPEG_METADATA: [u8; 3] = [markers::APP1, markers::APP12, markers::APP13];

/// PNG chunks that hold metadata: EXIF, text of any kind, modification time.
const PNG_METADATA: [[u8; 4]; 5] = [*b"eXIf", *b"tEXt", *b"iTXt", *b"zTXt", *b"tIME"];

/// `bytes` (already recognised as `content_type`) without its metadata. An image whose
/// containers cannot be parsed is returned as it came: [`crate::images::check`] already
/// accepted it, and GIF has no metadata worth the name (comment extensions at most).
pub fn strip_metadata(bytes: Vec<u8>, content_type: &str) -> Vec<u8> {
    let input = Bytes::from(bytes);
    let stripped = match content_type {
        "image/jpeg" => Jpeg::from_bytes(input.clone()).ok().map(|mut jpeg| {
            for marker in JPEG_METADATA {
                jpeg.remove_segments_by_marker(marker);
            }
            jpeg.remove_segments_by_marker(markers::COM);
            jpeg.encoder().bytes()
        }),
        "image/png" => Png::from_bytes(input.clone()).ok().map(|mut png| {
            for kind in PNG_METADATA {
                png.remove_chunks_by_type(kind);
            }
            png.encoder().bytes()
        }),
        "image/webp" => WebP::from_bytes(input.clone()).ok().map(|mut webp| {
            webp.set_exif(None);
            webp.remove_chunks_by_id(*b"XMP ");
            webp.encoder().bytes()
        }),
        _ => None,
    };
    stripped.unwrap_or(input).to_vec()
}

/// How many frames the image has: GIF image descriptors, APNG's `acTL` count (or its `fcTL`
/// chunks, whichever is larger), WebP `ANMF` chunks; 1 for a still image. `None` when a GIF's
/// block structure is broken.
pub fn frame_count(bytes: &[u8], content_type: &str) -> Option<u64> {
    match content_type {
        "image/gif" => gif_frames(bytes),
        "image/png" => {
            let png = Png::from_bytes(Bytes::copy_from_slice(bytes)).ok()?;
            let declared = png
                .chunk_by_type(*b"acTL")
                .and_then(|c| c.contents().get(0..4).map(|n| [n[0], n[1], n[2], n[3]]))
                .map_or(0, |n| u64::from(u32::from_be_bytes(n)));
            let controls = png.chunks_by_type(*b"fcTL").count() as u64;
            Some(declared.max(controls).max(1))
        }
        "image/webp" => {
            let webp = WebP::from_bytes(Bytes::copy_from_slice(bytes)).ok()?;
            Some((webp.chunks_by_id(*b"ANMF").count() as u64).max(1))
        }
        _ => Some(1),
    }
}

/// Counts a GIF's image descriptors by walking its blocks (header, screen descriptor, global
/// colour table, then extensions and images as length-prefixed sub-blocks) without decoding.
fn gif_frames(b: &[u8]) -> Option<u64> {
    let color_table = |flags: u8| {
        if flags & 0x80 != 0 {
            3usize << ((flags & 7) + 1)
        } else {
            0
        }
    };
    let mut at = 13 + color_table(*b.get(10)?);
    let skip_sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let len = usize::from(*b.get(at)?);
            at += 1 + len;
            if len == 0 {
                return Some(at);
            }
        }
    };
    let mut frames = 0u64;
    loop {
        match *b.get(at)? {
            // Extension: label, then sub-blocks.
            0x21 => at = skip_sub_blocks(at + 2)?,
            // Image: descriptor (10 bytes), local colour table, LZW code size, sub-blocks.
            0x2C => {
                frames += 1;
                at += 10 + color_table(*b.get(at + 9)?);
                at = skip_sub_blocks(at + 1)?;
            }
            // Trailer.
            0x3B => return Some(frames.max(1)),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GIF with `n` 1×1 frames, each after a graphic control extension.
    fn gif(n: usize) -> Vec<u8> {
        let mut g = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
        for _ in 0..n {
            g.extend_from_slice(b"\x21\xf9\x04\x00\x0a\x00\x00\x00");
            g.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
        }
        g.push(0x3B);
        g
    }

    #[test]
    fn gif_frames_are_counted() {
        assert_eq!(frame_count(&gif(1), "image/gif"), Some(1));
        assert_eq!(frame_count(&gif(7), "image/gif"), Some(7));
        let broken = &gif(3)[..30];
        assert_eq!(frame_count(broken, "image/gif"), None);
    }
}
