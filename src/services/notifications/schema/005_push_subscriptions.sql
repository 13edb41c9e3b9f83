-- The user's Web Push subscriptions as carried in user.registered / user.updated (a JSON array
-- of {id, endpoint, keys: {p256dh, auth}, createdAt}); NULL: none. One column rather than a
-- table: every event carries the whole list, which replaces what the view had.
ALTER TABLE recipients ADD COLUMN push_subscriptions TEXT;
