-- Senders whose mail may load remote images without asking ("Always for this sender").
-- Keyed by the normalised From address; removing the row blocks them again.
CREATE TABLE remote_image_sender (
    address    TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
