//! Client message ids: the id a client gives a message before sending it, so a retry with the
//! same id stores one message.

use wire::ClientMessageId;

/// The characters an id is made of (all allowed by [`ClientMessageId::is_valid`]).
const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// An id of `prefix` and 19 characters of `[0-9a-zA-Z]` drawn with `random` (numbers in
/// `[0, 1)`, like `Math.random`).
pub fn client_id_with(prefix: char, mut random: impl FnMut() -> f64) -> ClientMessageId {
    let mut id = String::with_capacity(20);
    id.push(prefix);
    for _ in 0..19 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 0 <= r * 62 < 62
        let i = ((random() * 62.0) as usize).min(ALPHABET.len() - 1);
        id.push(char::from(ALPHABET[i]));
    }
    ClientMessageId(id)
}

/// A fresh id from the browser's `Math.random`, starting with `prefix` (which client made it,
/// for whoever reads the database).
pub fn new_client_id(prefix: char) -> ClientMessageId {
    client_id_with(prefix, js_sys::Math::random)
}

#[cfg(test)]
mod tests {
    use super::client_id_with;

    #[test]
    fn ids_are_valid_and_differ() {
        let mut x = 0.0;
        let mut step = || {
            x = (x + 0.37) % 1.0;
            x
        };
        let a = client_id_with('w', &mut step);
        let b = client_id_with('w', &mut step);
        assert!(a.is_valid(), "{a}");
        assert_ne!(a, b);
        assert!(client_id_with('d', || 0.999_999_9).is_valid());
        assert!(a.0.starts_with('w'));
    }
}
