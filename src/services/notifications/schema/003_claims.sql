-- Claims, so several notifications instances share one database: a dispatcher pass claims the
-- rows it will send (claimed_by: the pass's own id; claimed_until_ms: the end of its lease) in
-- one conditional UPDATE, sends outside that transaction, and records the outcome only while
-- claimed_by is still its id. A crashed instance's rows are claimable again once the lease ends;
-- recording ends the lease (claimed_until_ms NULL) and keeps claimed_by as the last claimant.
ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
ALTER TABLE notifications ADD COLUMN claimed_until_ms BIGINT;
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN claimed_until_ms BIGINT;
-- A pass reads back what it claimed by claimed_by.
CREATE INDEX notifications_claimed_by ON notifications (claimed_by);
CREATE INDEX webhook_deliveries_claimed_by ON webhook_deliveries (claimed_by);
