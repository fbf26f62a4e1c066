-- Signatures (issue 7): HTML per account, one for new mail and one for replies and
-- forwards, placed above or below the quoted message.
CREATE TABLE signature (
    account_id  INTEGER PRIMARY KEY REFERENCES account (id) ON DELETE CASCADE,
    new_html    TEXT    NOT NULL DEFAULT '',
    reply_html  TEXT    NOT NULL DEFAULT '',
    above_quote INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);
