-- The service's view of users (from user.registered / user.updated): who to tell, and who is an
-- admin. Booleans are 0/1 integers so the same DDL serves SQLite and PostgreSQL.
CREATE TABLE recipients (
  user_id    TEXT PRIMARY KEY,
  email      TEXT NOT NULL,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1,
  updated_at TEXT NOT NULL
);
CREATE INDEX recipients_role ON recipients (role, active);

-- One row per recipient per event per channel: the UNIQUE constraint makes a redelivered event
-- (or a replayed consumer) add nothing. status stays 'pending' while retries remain; 'failed'
-- means the dispatcher gave up. next_attempt_at_ms orders the dispatcher's work.
CREATE TABLE notifications (
  id                 TEXT PRIMARY KEY,
  recipient_id       TEXT NOT NULL,
  event_id           TEXT NOT NULL,
  event_type         TEXT NOT NULL,
  channel            TEXT NOT NULL,
  subject            TEXT NOT NULL,
  body               TEXT NOT NULL,
  data               TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  last_error         TEXT,
  next_attempt_at_ms BIGINT NOT NULL,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  delivered_at       TEXT,
  UNIQUE (event_id, recipient_id, channel)
);
CREATE INDEX notifications_recipient ON notifications (recipient_id, id);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at_ms);
