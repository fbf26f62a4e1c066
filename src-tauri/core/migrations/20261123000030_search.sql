-- `has:attachment` with no words (DESIGN.md §4: every list is an index range): the
-- messages with attachments, newest first, as one partial index.
CREATE INDEX message_attachment_date
    ON message (date DESC, id DESC) WHERE has_attachments = 1;

-- The dates held by each zone of 4,096 consecutive message ids (`id >> 12`): a block
-- range index, like PostgreSQL's BRIN. Search reads a common word's matches zone by
-- zone, newest zone first, and stops when no zone left can hold a newer one
-- (store/search.rs). Mail is written in batches of neighbouring dates, so zones are
-- narrow in time. Bounds only ever widen: a deleted message can leave a zone's range
-- wider than needed, never too narrow, so a zone is never wrongly skipped.
CREATE TABLE message_zone (
    zone     INTEGER PRIMARY KEY,
    min_date INTEGER NOT NULL,
    max_date INTEGER NOT NULL
);

INSERT INTO message_zone (zone, min_date, max_date)
SELECT id >> 12, min(date), max(date) FROM message GROUP BY id >> 12;

CREATE TRIGGER message_zone_insert AFTER INSERT ON message
BEGIN
    INSERT INTO message_zone (zone, min_date, max_date) VALUES (NEW.id >> 12, NEW.date, NEW.date)
    ON CONFLICT (zone) DO UPDATE SET
        min_date = min(min_date, excluded.min_date),
        max_date = max(max_date, excluded.max_date);
END;

-- Dates are not edited today; should that change, the zone still covers the new date.
CREATE TRIGGER message_zone_update AFTER UPDATE OF date ON message
BEGIN
    INSERT INTO message_zone (zone, min_date, max_date) VALUES (NEW.id >> 12, NEW.date, NEW.date)
    ON CONFLICT (zone) DO UPDATE SET
        min_date = min(min_date, excluded.min_date),
        max_date = max(max_date, excluded.max_date);
END;
