-- The first answer a key got (status and body), so that a replay repeats it exactly: a 201 stays
-- a 201, with the order as it was then. NULL until that answer is made (a replay arriving while
-- the first request still waits gets the order as it is, 202).
ALTER TABLE idempotency_keys ADD COLUMN response_status INTEGER;
ALTER TABLE idempotency_keys ADD COLUMN response_body TEXT;
