-- Accounts and their credentials. Booleans are 0/1 integers so the same DDL serves SQLite and
-- PostgreSQL.
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  active        INTEGER NOT NULL DEFAULT 1,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

-- One row per refresh token ever issued. A login starts a family; each refresh marks its token
-- 'used' and issues the next of the same family; presenting a used token revokes the family.
CREATE TABLE refresh_tokens (
  id            TEXT PRIMARY KEY,
  family_id     TEXT NOT NULL,
  user_id       TEXT NOT NULL REFERENCES users (id),
  secret_hash   TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('active', 'used', 'revoked')),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
