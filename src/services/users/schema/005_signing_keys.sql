-- The access tokens' Ed25519 signing keys (docs/security.md, "Signing keys"). Only the users
-- service reads this table: every other process verifies with the public keys it publishes at
-- /.well-known/jwks.json. The newest key not retired signs; `ordo users rotate-key` adds one and
-- retires the others at retire_at (after the last token they signed has expired), when they
-- leave the JWKS. generation orders the keys, and its uniqueness lets exactly one of several
-- instances starting at once create the first key. seed is the private key (32 bytes,
-- base64url): whoever can read this table can sign tokens.
CREATE TABLE signing_keys (
  generation BIGINT PRIMARY KEY,
  kid        TEXT NOT NULL UNIQUE,
  seed       TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retire_at  BIGINT
);
