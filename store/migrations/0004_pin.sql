-- A short PIN for the fast user switch at a shared bench phone: scan your
-- badge, type the PIN. Stored as an argon2id hash, like passwords.
ALTER TABLE users ADD COLUMN pin_hash TEXT NOT NULL DEFAULT '';
