//! The visitor identity check (`auth::verify_identity`): any string a stranger sends as an
//! identity is refused or verified without a panic, only a token signed with the secret
//! verifies, and what verifies is a well-formed customer id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threadline_api::auth::{sign_identity, verify_identity};

const SECRET: &str = "fuzzing-secret-that-is-at-least-32-bytes";
const NOW: i64 = 1_800_000_000;

fuzz_target!(|token: &str| {
    if let Ok(customer) = verify_identity(SECRET, token, NOW) {
        // Only the website's own signature verifies: the token is exactly a signed one.
        let expires = token
            .rsplitn(3, '.')
            .nth(1)
            .and_then(|e| e.parse::<i64>().ok())
            .expect("a verified token has an expiry");
        assert!(expires > NOW, "an expired identity verified");
        assert_eq!(
            sign_identity(SECRET, &customer, expires),
            token.to_ascii_lowercase()
        );
        assert!((1..=128).contains(&customer.len()));
    }
    // The same customer id, signed, verifies to itself when it is well formed.
    if let Some(id) = token.get(..token.len().min(64)) {
        let signed = sign_identity(SECRET, id, NOW + 60);
        if let Ok(back) = verify_identity(SECRET, &signed, NOW) {
            assert_eq!(back, id);
        }
        assert!(verify_identity("another-secret-of-at-least-32-bytes!", &signed, NOW).is_err());
    }
});
