-- The catalog. Archived products stay (orders refer to them) but leave the lists. name_key is the
-- case-folded name the list sorts by; created_at_ms orders by creation; attributes is a JSON
-- object as TEXT.
CREATE TABLE products (
  id            TEXT PRIMARY KEY,
  sku           TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  name_key      TEXT NOT NULL,
  description   TEXT NOT NULL,
  price_cents   BIGINT NOT NULL CHECK (price_cents >= 0),
  currency      TEXT NOT NULL,
  category      TEXT NOT NULL,
  attributes    TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('active', 'archived')),
  version       BIGINT NOT NULL,
  created_at    TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at    TEXT NOT NULL
);
-- One index per list order (keyset pages seek on (key, id)); category is an exact filter.
CREATE INDEX products_by_created ON products (status, created_at_ms, id);
CREATE INDEX products_by_name ON products (status, name_key, id);
CREATE INDEX products_by_price ON products (status, price_cents, id);
CREATE INDEX products_by_category ON products (status, category, created_at_ms, id);
