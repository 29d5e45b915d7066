//! Image sniffing (`images::check`): any bytes uploaded as a picture are accepted or refused
//! without a panic, and an accepted picture is within the dimension and pixel limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadline_api::images::{check, clean_file_name};
use wire::limits::{MAX_IMAGE_DIMENSION, MAX_IMAGE_PIXELS};

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = check(data, 10 * 1024 * 1024) {
        assert!(image.width >= 1 && image.width <= MAX_IMAGE_DIMENSION);
        assert!(image.height >= 1 && image.height <= MAX_IMAGE_DIMENSION);
        assert!(u64::from(image.width) * u64::from(image.height) <= MAX_IMAGE_PIXELS);
        assert!(image.content_type.starts_with("image/"));
    }
    // A file name from the upload is made safe for a header and for display.
    let name = clean_file_name(&String::from_utf8_lossy(data));
    assert!(!name.is_empty());
    assert!(!name.contains(['/', '\\', '"']) && !name.chars().any(char::is_control));
});
