-- The orders service's tables: its own view of the catalog, orders with their lines and
-- history, and idempotency keys. Booleans are 0/1 integers, JSON documents TEXT, so the same DDL
-- serves SQLite and PostgreSQL.

-- Products as the order service knows them, from product.* events (or fetched from the products
-- service when an order names a product whose event has not arrived yet). version orders the
-- snapshots: an older one never replaces a newer one.
CREATE TABLE catalog (
  product_id  TEXT PRIMARY KEY,
  sku         TEXT NOT NULL,
  name        TEXT NOT NULL,
  price_cents BIGINT NOT NULL,
  currency    TEXT NOT NULL,
  category    TEXT NOT NULL DEFAULT '',
  active      INTEGER NOT NULL DEFAULT 1,
  version     BIGINT NOT NULL
);

CREATE TABLE orders (
  id              TEXT PRIMARY KEY,
  user_id         TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected', 'cancelled')),
  total_cents     BIGINT NOT NULL,
  currency        TEXT NOT NULL,
  note            TEXT,
  rejection       TEXT,            -- JSON {code, lines:[{productId, requested, available}]}
  idempotency_key TEXT,
  created_at      TEXT NOT NULL,
  created_at_ms   BIGINT NOT NULL,
  updated_at      TEXT NOT NULL
);
-- Lists are newest first by id (UUIDv7: time-ordered), per user or per status.
CREATE INDEX orders_user ON orders (user_id, id);
CREATE INDEX orders_status ON orders (status, id);

-- Prices are copied at ordering time: a later catalog change does not touch placed orders.
CREATE TABLE order_items (
  order_id         TEXT NOT NULL REFERENCES orders (id),
  line_no          INTEGER NOT NULL,
  product_id       TEXT NOT NULL,
  sku              TEXT NOT NULL,
  name             TEXT NOT NULL,
  quantity         BIGINT NOT NULL,
  unit_price_cents BIGINT NOT NULL,
  line_total_cents BIGINT NOT NULL,
  PRIMARY KEY (order_id, line_no)
);

-- Every state an order went through, in order.
CREATE TABLE order_history (
  order_id TEXT NOT NULL REFERENCES orders (id),
  seq      INTEGER NOT NULL,
  status   TEXT NOT NULL,
  reason   TEXT,
  at       TEXT NOT NULL,
  PRIMARY KEY (order_id, seq)
);

-- Idempotency-Key per user: the primary key makes two concurrent requests with the same key
-- create one order; request_hash tells a replay from a reuse with another body. Kept 48 h.
CREATE TABLE idempotency_keys (
  user_id       TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  order_id      TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at_ms);
