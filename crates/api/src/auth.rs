//! Credentials: argon2id password hashes, opaque session and visitor tokens (the server keeps
//! only their SHA-256), single-use stream tickets, and identities signed by the company site.

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::VisitorToken;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use wire::{AgentId, ContactId};

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
}

/// Checks a password against a stored hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the login name is unknown, so both cases take as long.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no such agent").unwrap_or_default())
}

/// A new random token with a prefix that says what it is for.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A new random key (hex) for a file URL.
pub fn new_file_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// An authenticated agent (from `Authorization: Bearer <token>`).
#[derive(Debug, Clone)]
pub struct AgentAuth {
    /// Who.
    pub agent: AgentId,
    /// The stored form of their token (to log out this session).
    pub token_hash: String,
    /// What they may do (read with the session, so a role change applies to the next request).
    pub role: wire::Role,
}

impl AgentAuth {
    /// Refuses (403 `forbidden`) unless the account's role allows what `needed` may do.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`] naming the role needed.
    pub fn require(&self, needed: wire::Role) -> Result<(), ApiError> {
        if self.role.allows(needed) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role",
                needed.label().to_lowercase()
            )))
        }
    }
}

/// An extractor for callers with at least one role: the agent's authentication, then
/// [`AgentAuth::require`] (403 below the role).
macro_rules! role_extractor {
    ($(#[$doc:meta] $name:ident => $role:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone)]
        pub struct $name(pub AgentAuth);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Self::Rejection> {
                let auth = AgentAuth::from_request_parts(parts, state).await?;
                auth.require(wire::Role::$role)?;
                Ok($name(auth))
            }
        }
    )*};
}

role_extractor! {
    /// An authenticated supervisor or administrator (403 for an agent).
    SupervisorAuth => Supervisor,
    /// An authenticated administrator (403 for anyone else).
    AdminAuth => Administrator,
}

impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)
            .filter(|t| t.starts_with("tla_"))
            .ok_or(ApiError::Unauthorized)?;
        let hash = token_hash(token);
        let session = state
            .store
            .session_agent(&hash)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        Ok(AgentAuth {
            agent: session.agent_id,
            token_hash: hash,
            role: session.role,
        })
    }
}

/// An authenticated visitor: can read and write only their own contact's conversation.
#[derive(Debug, Clone, Copy)]
pub struct VisitorAuth {
    /// The visitor's contact.
    pub contact: ContactId,
}

impl FromRequestParts<AppState> for VisitorAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)
            .filter(|t| t.starts_with("tlv_"))
            .ok_or(ApiError::Unauthorized)?;
        let found = visitor_token(state, token).await?;
        Ok(VisitorAuth {
            contact: found.contact,
        })
    }
}

/// Checks a visitor token: unknown is 401 `unauthorized`, past its expiry 401
/// `token_expired`. An anonymous token's lifetime slides forward with use (written at most once
/// per tenth of the lifetime, at most daily); an identified one ends with its identity.
///
/// # Errors
/// Unknown or expired, or the store failed.
pub async fn visitor_token(state: &AppState, token: &str) -> Result<VisitorToken, ApiError> {
    let hash = token_hash(token);
    let found = state
        .store
        .visitor_token(&hash)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let now = crate::util::now_ms();
    if found.expires_at <= now {
        return Err(ApiError::TokenExpired);
    }
    if !found.identified {
        let ttl = crate::util::ms(state.config.visitor_token_ttl);
        let step = (ttl / 10).clamp(1, 86_400_000);
        if found.expires_at < now + ttl - step {
            state
                .store
                .slide_visitor_token(&hash, now + ttl, step)
                .await?;
        }
    }
    Ok(found)
}

/// Why a signed identity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Not `customer_id.expires.signature`, or a bad customer id.
    #[error("the identity token is malformed")]
    Malformed,
    /// Past its expiry.
    #[error("the identity token has expired")]
    Expired,
    /// The signature does not match.
    #[error("the identity token's signature is not valid")]
    BadSignature,
}

/// Signs a customer identity the way the company website does:
/// `customer_id.expires_unix_seconds.hex(HMAC-SHA256(secret, "customer_id.expires"))`.
pub fn sign_identity(secret: &str, customer_id: &str, expires_unix: i64) -> String {
    let payload = format!("{customer_id}.{expires_unix}");
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    format!("{payload}.{}", hex::encode(mac.finalize().into_bytes()))
}

/// When a signed identity expires (unix seconds), read from its middle part; check it with
/// [`verify_identity`] first.
pub fn identity_expires(token: &str) -> Option<i64> {
    token.rsplit('.').nth(1)?.parse().ok()
}

/// Checks a signed identity; returns the customer id.
pub fn verify_identity(secret: &str, token: &str, now_unix: i64) -> Result<String, IdentityError> {
    let mut parts = token.rsplitn(3, '.');
    let (Some(sig), Some(expires), Some(customer)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(IdentityError::Malformed);
    };
    let valid_id = (1..=128).contains(&customer.len())
        && customer
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-@.+".contains(c));
    let expires: i64 = expires.parse().map_err(|_| IdentityError::Malformed)?;
    let sig = hex::decode(sig).map_err(|_| IdentityError::Malformed)?;
    if !valid_id {
        return Err(IdentityError::Malformed);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{customer}.{expires}").as_bytes());
    mac.verify_slice(&sig)
        .map_err(|_| IdentityError::BadSignature)?;
    if expires <= now_unix {
        return Err(IdentityError::Expired);
    }
    Ok(customer.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_round_trip_and_refusals() {
        let t = sign_identity("s3cret", "cust-42@example.com", 2_000);
        assert_eq!(
            verify_identity("s3cret", &t, 1_000),
            Ok("cust-42@example.com".to_owned())
        );
        assert_eq!(
            verify_identity("s3cret", &t, 2_000),
            Err(IdentityError::Expired)
        );
        assert_eq!(
            verify_identity("other", &t, 1_000),
            Err(IdentityError::BadSignature)
        );
        let forged = t.replace("cust-42", "cust-43");
        assert_eq!(
            verify_identity("s3cret", &forged, 1_000),
            Err(IdentityError::BadSignature)
        );
        assert_eq!(
            verify_identity("s3cret", "garbage", 1_000),
            Err(IdentityError::Malformed)
        );
    }

    #[test]
    fn passwords() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
