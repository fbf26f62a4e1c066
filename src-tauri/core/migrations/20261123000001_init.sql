-- Rapport's data model (DESIGN.md §3). Times are Unix seconds (UTC).
-- No secret ever lives here: passwords and tokens are in the OS keyring.

-- Facts about this database itself, e.g. its random instance id, which keys its
-- keyring entries so two data folders never share (or delete) each other's secrets.
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE account (
    id                   INTEGER PRIMARY KEY,
    email                TEXT    NOT NULL UNIQUE,          -- normalised address
    sender_name          TEXT    NOT NULL,
    mailbox_name         TEXT    NOT NULL,
    imap_host            TEXT    NOT NULL,
    imap_port            INTEGER NOT NULL CHECK (imap_port BETWEEN 1 AND 65535),
    imap_security        TEXT    NOT NULL CHECK (imap_security IN ('tls', 'starttls', 'none')),
    smtp_host            TEXT    NOT NULL,
    smtp_port            INTEGER NOT NULL CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_security        TEXT    NOT NULL CHECK (smtp_security IN ('tls', 'starttls', 'none')),
    username             TEXT    NOT NULL,
    auth_kind            TEXT    NOT NULL DEFAULT 'password' CHECK (auth_kind IN ('password', 'google', 'microsoft')),
    ca_pem               TEXT,                             -- extra trust anchor(s) for this account's servers
    pinned_sha256        TEXT,                             -- a server certificate the user chose to trust
    fetch_since          TEXT    NOT NULL DEFAULT '3m',    -- 7d | 1m | 3m | 1y | all | YYYY-MM-DD
    keep_policy          TEXT    NOT NULL DEFAULT 'all' CHECK (keep_policy IN ('received', 'sent', 'all')),
    contact_policy       TEXT    NOT NULL DEFAULT 'all' CHECK (contact_policy IN ('none', 'sent', 'all')),
    leads_from_incoming  INTEGER NOT NULL DEFAULT 0,
    poll_interval_secs   INTEGER NOT NULL DEFAULT 300,
    state                TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
    paused_reason        TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_sync_at         INTEGER,
    message_count        INTEGER NOT NULL DEFAULT 0,       -- kept in step by the store, never recounted for the UI
    created_at           INTEGER NOT NULL
);

-- Addresses that are "me" besides account.email (aliases, send-as identities).
CREATE TABLE account_alias (
    account_id INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    address    TEXT    NOT NULL,
    PRIMARY KEY (account_id, address)
) WITHOUT ROWID;

CREATE TABLE folder (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    raw_name       TEXT    NOT NULL,                       -- as the server spells it (modified UTF-7)
    display_name   TEXT    NOT NULL,                       -- decoded for people
    delimiter      TEXT,
    role           TEXT CHECK (role IN ('inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'all', 'flagged', 'important')),
    selectable     INTEGER NOT NULL DEFAULT 1,
    selected       INTEGER NOT NULL DEFAULT 0,              -- the user chose to sync it
    uidvalidity    INTEGER,
    uidnext        INTEGER,
    highestmodseq  INTEGER,
    synced_uid_max INTEGER NOT NULL DEFAULT 0,              -- every wanted UID <= this is stored
    server_exists  INTEGER,                                 -- MESSAGES at the last complete pass
    message_count  INTEGER NOT NULL DEFAULT 0,
    unread_count   INTEGER NOT NULL DEFAULT 0,
    last_sync_at   INTEGER,
    UNIQUE (account_id, raw_name)
);

CREATE TABLE message (
    id              INTEGER PRIMARY KEY,
    dedup_key       TEXT    NOT NULL UNIQUE,               -- normalised Message-ID, or "sha256:<hex>" of the raw message
    message_id      TEXT,                                  -- Message-ID without angle brackets
    in_reply_to     TEXT,
    references_ids  TEXT    NOT NULL DEFAULT '',           -- space-separated Message-IDs
    thread_id       INTEGER,                               -- id of a message in the same thread
    subject         TEXT    NOT NULL DEFAULT '',
    date            INTEGER NOT NULL,
    snippet         TEXT    NOT NULL DEFAULT '',
    direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    is_bulk         INTEGER NOT NULL DEFAULT 0,
    size            INTEGER NOT NULL DEFAULT 0,
    has_attachments INTEGER NOT NULL DEFAULT 0,
    seen            INTEGER NOT NULL DEFAULT 0,
    flagged         INTEGER NOT NULL DEFAULT 0,
    answered        INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE INDEX message_date ON message (date DESC, id DESC);
CREATE INDEX message_thread ON message (thread_id, date);
CREATE INDEX message_message_id ON message (message_id);
CREATE INDEX message_in_reply_to ON message (in_reply_to);

-- Bodies apart from the row so list scans stay small.
CREATE TABLE message_body (
    message_id INTEGER PRIMARY KEY REFERENCES message (id) ON DELETE CASCADE,
    text       TEXT NOT NULL DEFAULT '',
    html       TEXT                                            -- sanitised
);

-- Where a message lives on a server. A Gmail message in three labels has three rows.
CREATE TABLE message_location (
    folder_id   INTEGER NOT NULL REFERENCES folder (id) ON DELETE CASCADE,
    uidvalidity INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    message_id  INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
    flags       TEXT    NOT NULL DEFAULT '',
    modseq      INTEGER,
    PRIMARY KEY (folder_id, uidvalidity, uid)
) WITHOUT ROWID;
CREATE INDEX message_location_message ON message_location (message_id);

CREATE TABLE company (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    domain     TEXT    NOT NULL UNIQUE,                    -- registrable domain
    notes      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE contact (
    id           INTEGER PRIMARY KEY,
    display_name TEXT    NOT NULL,
    company_id   INTEGER REFERENCES company (id) ON DELETE SET NULL,
    stage        TEXT    NOT NULL DEFAULT 'contact',      -- contact | lead | prospect | customer | custom text
    notes        TEXT    NOT NULL DEFAULT '',
    follow_up_at INTEGER,
    origin       TEXT    NOT NULL CHECK (origin IN ('manual', 'sent', 'received', 'import')),
    -- Kept in step by the store whenever links change, so lists never recount.
    message_count   INTEGER NOT NULL DEFAULT 0,
    sent_count      INTEGER NOT NULL DEFAULT 0,
    received_count  INTEGER NOT NULL DEFAULT 0,
    last_contact_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX contact_company ON contact (company_id);
CREATE INDEX contact_last ON contact (last_contact_at DESC);

CREATE TABLE contact_email (
    address    TEXT    PRIMARY KEY,                         -- normalised; one address belongs to one contact
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    is_primary INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contact_email_contact ON contact_email (contact_id);

CREATE TABLE contact_tag (
    contact_id INTEGER NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
    tag        TEXT    NOT NULL,
    PRIMARY KEY (contact_id, tag)
) WITHOUT ROWID;

CREATE TABLE participant (
    message_id   INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL CHECK (role IN ('from', 'sender', 'reply_to', 'to', 'cc', 'bcc')),
    position     INTEGER NOT NULL,
    address      TEXT    NOT NULL,                          -- normalised
    display_name TEXT    NOT NULL DEFAULT '',
    contact_id   INTEGER REFERENCES contact (id) ON DELETE SET NULL,
    date         INTEGER NOT NULL,                          -- copy of message.date: a timeline is one index range
    PRIMARY KEY (message_id, role, position)
) WITHOUT ROWID;
CREATE INDEX participant_contact_date ON participant (contact_id, date DESC, message_id) WHERE contact_id IS NOT NULL;
CREATE INDEX participant_address_date ON participant (address, date DESC, message_id);

CREATE TABLE attachment (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES message (id) ON DELETE CASCADE,
    part_id    TEXT    NOT NULL,                            -- IMAP body section, e.g. "2" or "1.3"
    filename   TEXT    NOT NULL DEFAULT '',
    mime_type  TEXT    NOT NULL DEFAULT 'application/octet-stream',
    size       INTEGER NOT NULL DEFAULT 0,
    content_id TEXT,
    is_inline  INTEGER NOT NULL DEFAULT 0,
    cache_path TEXT,
    UNIQUE (message_id, part_id)
);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    message_id    TEXT    NOT NULL UNIQUE,                  -- the idempotency key: generated once, never resent
    raw           BLOB    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER
);

-- Ignore rules: an address ("jane@x.com") or a whole domain ("@x.com") never becomes a contact.
CREATE TABLE rule (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('ignore_address', 'ignore_domain')),
    value      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, value)
);

-- Full-text index. Its columns come from three tables, so it is contentless and the store
-- writes and deletes its rows in the same transaction as the message (rowid = message.id).
CREATE VIRTUAL TABLE message_fts USING fts5 (
    subject, body, addresses,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
