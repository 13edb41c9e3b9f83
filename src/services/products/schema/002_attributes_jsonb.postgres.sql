-- On PostgreSQL the attributes document is JSONB: validated by the server and queryable
-- (attributes->>'color'). The store writes and reads it as text either way.
ALTER TABLE products ALTER COLUMN attributes TYPE JSONB USING attributes::jsonb;
