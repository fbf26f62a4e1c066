-- Compose and send (issue 7): what the outbox needs besides the raw message, and local drafts.

-- The SMTP envelope is kept apart from the message: Bcc recipients are in the envelope
-- and in the Sent copy, never in the header the recipients receive.
ALTER TABLE outbox ADD COLUMN envelope_from TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN recipients TEXT NOT NULL DEFAULT '[]';   -- JSON array of addresses
ALTER TABLE outbox ADD COLUMN subject TEXT NOT NULL DEFAULT '';
-- Set when a send was interrupted (the app stopped while 'sending'): the server may have
-- taken the message, so the Sent folder is searched for its Message-ID before any retry.
ALTER TABLE outbox ADD COLUMN verify_before_send INTEGER NOT NULL DEFAULT 0;
-- The copy in Sent and in the local store: pending, done, provider (the server keeps it
-- itself), none (no Sent folder), failed (the reason is in last_error).
ALTER TABLE outbox ADD COLUMN copy_state TEXT NOT NULL DEFAULT 'pending';

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- Drafts autosaved locally while composing: the compose form as JSON.
CREATE TABLE draft (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER REFERENCES account (id) ON DELETE CASCADE,
    content    TEXT    NOT NULL,
    subject    TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

-- Message templates: subject and HTML with placeholders such as {Contact.firstName}.
CREATE TABLE template (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    subject    TEXT    NOT NULL DEFAULT '',
    html       TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);
