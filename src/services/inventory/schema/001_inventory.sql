-- Stock per product, the reservations orders hold, what happened to each order, and the ledger
-- that explains every number. Booleans are 0/1 integers so the DDL serves SQLite and PostgreSQL.

-- The CHECKs are the last line of defence against overselling: a conditional update that would
-- take available below zero fails instead of committing.
CREATE TABLE stock (
  product_id          TEXT PRIMARY KEY,
  available           BIGINT NOT NULL CHECK (available >= 0),
  reserved            BIGINT NOT NULL CHECK (reserved >= 0),
  low_stock_threshold BIGINT NOT NULL,
  below_threshold     INTEGER NOT NULL DEFAULT 0,
  product_active      INTEGER NOT NULL DEFAULT 1,
  updated_at          TEXT NOT NULL
);
CREATE INDEX stock_low ON stock (below_threshold, product_id);

-- What an order holds, line by line; released lines stay for the record.
CREATE TABLE reservations (
  order_id   TEXT NOT NULL,
  product_id TEXT NOT NULL,
  quantity   BIGINT NOT NULL CHECK (quantity > 0),
  status     TEXT NOT NULL CHECK (status IN ('held', 'released')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (order_id, product_id)
);

-- One row per order ever seen, so that a duplicate or late event (order.created after
-- order.cancelled) changes nothing.
CREATE TABLE order_outcomes (
  order_id TEXT PRIMARY KEY,
  outcome  TEXT NOT NULL CHECK (outcome IN ('reserved', 'rejected', 'cancelled')),
  at       TEXT NOT NULL
);

-- Every change to a stock row, written in the same transaction: for every product the sums of
-- the deltas equal its current available and reserved.
CREATE TABLE ledger (
  id              TEXT PRIMARY KEY,
  product_id      TEXT NOT NULL,
  delta_available BIGINT NOT NULL,
  delta_reserved  BIGINT NOT NULL,
  available_after BIGINT NOT NULL,
  reserved_after  BIGINT NOT NULL,
  reason          TEXT NOT NULL
    CHECK (reason IN ('initial', 'reservation', 'release', 'replenish', 'stock_count')),
  order_id        TEXT,
  actor           TEXT NOT NULL,
  note            TEXT,
  created_at      TEXT NOT NULL
);
CREATE INDEX ledger_product ON ledger (product_id, id);
