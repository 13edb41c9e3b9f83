-- Webhook endpoints registered by admins. events is a JSON array of public event types (or
-- ["*"]). failing_since_ms marks the first failure since the last success: the dispatcher
-- disables an endpoint that has been failing longer than notifications.webhook_disable_after_s.
CREATE TABLE webhooks (
  id               TEXT PRIMARY KEY,
  url              TEXT NOT NULL,
  events           TEXT NOT NULL,
  description      TEXT NOT NULL,
  secret           TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
  created_by       TEXT NOT NULL,
  failing_since_ms BIGINT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);

-- One row per webhook per event, written in the consumer's transaction (an outbox): its id is the
-- webhook-id header of every attempt, and body is the exact payload signed on each of them.
CREATE TABLE webhook_deliveries (
  id                 TEXT PRIMARY KEY,
  webhook_id         TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id           TEXT NOT NULL,
  event_type         TEXT NOT NULL,
  body               TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts           INTEGER NOT NULL DEFAULT 0,
  last_response_code INTEGER,
  last_error         TEXT,
  next_attempt_at_ms BIGINT NOT NULL,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  delivered_at       TEXT,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at_ms);
