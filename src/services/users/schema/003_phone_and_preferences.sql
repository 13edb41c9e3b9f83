-- The user's own phone (E.164, NULL when none) for SMS notifications, and their notification
-- preferences as JSON text (contracts/notification_preferences.hpp; NULL: the defaults).
ALTER TABLE users ADD COLUMN phone TEXT;
ALTER TABLE users ADD COLUMN notification_preferences TEXT;
