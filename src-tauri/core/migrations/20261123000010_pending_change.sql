-- What the user did to mail locally (read, flagged, moved, deleted) that the server does
-- not have yet. One row per server location (folder, UIDVALIDITY, UID): the row says what
-- that location should become, so repeated actions on one message coalesce, and the sync
-- can lay the row over what the server reports instead of reverting the user's change.
--
-- The local store already shows the result. A moved message is shown through a
-- placeholder location (target folder, UIDVALIDITY 0, UID = -id) until the server tells
-- its real UID; a message deleted for good has no location until the server confirms.
--
-- No foreign keys to folder: when a folder disappears the row must outlive it, so that
-- the change can be rolled back and the user told.
CREATE TABLE pending_change (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    folder_id        INTEGER NOT NULL,
    uidvalidity      INTEGER NOT NULL,
    uid              INTEGER NOT NULL,
    message_id       INTEGER NOT NULL,
    -- Flags to add and remove at the source, IMAP names separated by spaces.
    add_flags        TEXT    NOT NULL DEFAULT '',
    remove_flags     TEXT    NOT NULL DEFAULT '',
    -- Move the message there (after the flags).
    target_folder_id INTEGER,
    -- Delete permanently (UID STORE \Deleted, UID EXPUNGE).
    expunge          INTEGER NOT NULL DEFAULT 0,
    -- The location's flags before the first local change, to put back on a rollback.
    prior_flags      TEXT    NOT NULL DEFAULT '',
    -- Bumped by every local change, so a push that raced with the user keeps what is newer.
    revision         INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    UNIQUE (folder_id, uidvalidity, uid)
);
CREATE INDEX pending_change_account ON pending_change (account_id, id);
