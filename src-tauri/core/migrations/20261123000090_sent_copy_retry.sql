-- The copy in Sent is saved in its own step after the send, and tried again when it
-- failed (the server refused the APPEND, the network dropped) or never finished (the app
-- stopped between the send and the copy: copy_state 'copying' or 'pending' at start-up).
-- copy_state gains 'copying' (claimed by one sender, like 'sending' for the send).
ALTER TABLE outbox ADD COLUMN copy_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN copy_next_at INTEGER NOT NULL DEFAULT 0;

CREATE INDEX outbox_copy_due ON outbox (copy_state, copy_next_at) WHERE state = 'sent';
