-- What the view knows for SMS and for choosing channels: the user's phone (E.164, NULL when none)
-- and notification preferences (JSON text as carried in user.updated; NULL: the defaults).
ALTER TABLE recipients ADD COLUMN phone TEXT;
ALTER TABLE recipients ADD COLUMN preferences TEXT;
