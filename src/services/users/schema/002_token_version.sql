-- Raised by every change that must end the user's access tokens at once (role, active flag,
-- password reset); access tokens carry the version they were issued with.
ALTER TABLE users ADD COLUMN token_version BIGINT NOT NULL DEFAULT 1;
