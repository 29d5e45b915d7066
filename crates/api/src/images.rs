//! Uploaded images: recognised by their bytes (never by name or declared type), with limits
//! on size, dimensions, pixel count and frame count so a decompression bomb is refused before
//! anyone decodes it. Metadata is stripped before storing (`image_meta`).

use crate::error::ApiError;
use wire::limits::{MAX_IMAGE_DIMENSION, MAX_IMAGE_FRAMES, MAX_IMAGE_PIXELS};

/// An accepted image's type and dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
    pub content_type: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Checks bytes claimed to be an image.
pub fn check(bytes: &[u8], max_bytes: usize) -> Result<Checked, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::invalid("the file is empty"));
    }
    if bytes.len() > max_bytes {
        return Err(ApiError::TooLarge(format!(
            "images may be at most {} MB",
            max_bytes / (1024 * 1024)
        )));
    }
    let refused =
        || ApiError::UnsupportedMedia("only PNG, JPEG, GIF and WebP images can be sent".to_owned());
    let content_type = match imagesize::image_type(bytes).map_err(|_| refused())? {
        imagesize::ImageType::Png => "image/png",
        imagesize::ImageType::Jpeg => "image/jpeg",
        imagesize::ImageType::Gif => "image/gif",
        imagesize::ImageType::Webp => "image/webp",
        _ => return Err(refused()),
    };
    let size = imagesize::blob_size(bytes)
        .map_err(|_| ApiError::invalid("the image is damaged or incomplete"))?;
    let (w, h) = (size.width, size.height);
    if w == 0 || h == 0 {
        return Err(ApiError::invalid("the image has no pixels"));
    }
    let too_big = || {
        ApiError::TooLarge(format!(
            "images may be at most {MAX_IMAGE_DIMENSION} pixels wide or high"
        ))
    };
    let width = u32::try_from(w).map_err(|_| too_big())?;
    let height = u32::try_from(h).map_err(|_| too_big())?;
    if width > MAX_IMAGE_DIMENSION
        || height > MAX_IMAGE_DIMENSION
        || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS
    {
        return Err(too_big());
    }
    let frames = crate::image_meta::frame_count(bytes, content_type)
        .ok_or_else(|| ApiError::invalid("the image is damaged or incomplete"))?;
    if frames > MAX_IMAGE_FRAMES {
        return Err(ApiError::invalid(format!(
            "animated images may have at most {MAX_IMAGE_FRAMES} frames (this one has {frames})"
        )));
    }
    Ok(Checked {
        content_type,
        width,
        height,
    })
}

/// A file name safe to show and to put in a `Content-Disposition` header.
pub fn clean_file_name(name: &str) -> String {
    let cleaned: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(100)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "image".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 PNG.
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49, 0x44,
        0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0, 0x05, 0x00, 0x01, 0xFF,
        0x89, 0x99, 0x3D, 0x1D, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn accepts_png_refuses_svg_and_bombs() {
        assert_eq!(
            check(PNG, 1000).unwrap(),
            Checked {
                content_type: "image/png",
                width: 1,
                height: 1
            }
        );
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
        assert!(matches!(
            check(svg, 1000),
            Err(ApiError::UnsupportedMedia(_))
        ));
        let mut bomb = PNG.to_vec();
        bomb[16..24].copy_from_slice(&[0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20]); // 20000×20000
        assert!(matches!(check(&bomb, 1000), Err(ApiError::TooLarge(_))));
        assert!(matches!(check(PNG, 10), Err(ApiError::TooLarge(_))));
    }

    #[test]
    fn file_names() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\"b;c.png"), "abc.png");
        assert_eq!(clean_file_name("..."), "image");
    }
}
