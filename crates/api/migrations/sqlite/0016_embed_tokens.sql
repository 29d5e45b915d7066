-- Single-use login tokens a portal's back end asks for (POST /api/embed/login-token) and the
-- desktop in the portal's frame exchanges for a session (POST /api/auth/embed). Only the
-- token's SHA-256 is kept, like sessions and stream tickets. `used_at` is set by the exchange
-- (once: the update that sets it requires it to be unset); `portal` is the name of the portal
-- that asked, so a token is refused from another portal's origin. Used and expired rows stay
-- a while so a second attempt hears why, then go.
CREATE TABLE embed_tokens (
    token_hash TEXT PRIMARY KEY,
    portal TEXT NOT NULL,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX embed_tokens_expires ON embed_tokens(expires_at);
