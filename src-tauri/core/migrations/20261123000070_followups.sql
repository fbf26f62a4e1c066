-- Follow-up radar (issue 10): who is waiting on me, whom am I waiting on, who is going cold.

-- The newest message of every thread, kept in step by triggers, so "threads whose latest
-- message is mine and older than N working days" is one index range instead of a scan of
-- every thread. Ties on date go to the larger message id.
CREATE TABLE thread_latest (
    thread_id  INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    date       INTEGER NOT NULL,
    direction  TEXT    NOT NULL,
    is_bulk    INTEGER NOT NULL
);
CREATE INDEX thread_latest_waiting ON thread_latest (direction, is_bulk, date, message_id);
CREATE INDEX thread_latest_message ON thread_latest (message_id);

INSERT INTO thread_latest (thread_id, message_id, date, direction, is_bulk)
SELECT m.thread_id, m.id, m.date, m.direction, m.is_bulk
FROM message m
WHERE m.thread_id IS NOT NULL
  AND m.id = (SELECT n.id FROM message n WHERE n.thread_id = m.thread_id ORDER BY n.date DESC, n.id DESC LIMIT 1);

CREATE TRIGGER thread_latest_insert AFTER INSERT ON message WHEN NEW.thread_id IS NOT NULL
BEGIN
    INSERT INTO thread_latest (thread_id, message_id, date, direction, is_bulk)
    VALUES (NEW.thread_id, NEW.id, NEW.date, NEW.direction, NEW.is_bulk)
    ON CONFLICT (thread_id) DO UPDATE SET
        message_id = excluded.message_id, date = excluded.date,
        direction = excluded.direction, is_bulk = excluded.is_bulk
    WHERE excluded.date > thread_latest.date
       OR (excluded.date = thread_latest.date AND excluded.message_id > thread_latest.message_id);
END;

-- Threads merge by renaming every message of one thread to the other's id
-- (store/messages.rs): the old thread's row goes, each renamed message competes for the new.
CREATE TRIGGER thread_latest_rethread AFTER UPDATE OF thread_id ON message
WHEN NEW.thread_id IS NOT OLD.thread_id
BEGIN
    DELETE FROM thread_latest WHERE thread_id = OLD.thread_id;
    INSERT INTO thread_latest (thread_id, message_id, date, direction, is_bulk)
    SELECT NEW.thread_id, NEW.id, NEW.date, NEW.direction, NEW.is_bulk WHERE NEW.thread_id IS NOT NULL
    ON CONFLICT (thread_id) DO UPDATE SET
        message_id = excluded.message_id, date = excluded.date,
        direction = excluded.direction, is_bulk = excluded.is_bulk
    WHERE excluded.date > thread_latest.date
       OR (excluded.date = thread_latest.date AND excluded.message_id > thread_latest.message_id);
END;

-- A deleted or re-dated latest message hands the thread to whichever message is newest now.
CREATE TRIGGER thread_latest_delete AFTER DELETE ON message
WHEN EXISTS (SELECT 1 FROM thread_latest WHERE thread_id = OLD.thread_id AND message_id = OLD.id)
BEGIN
    DELETE FROM thread_latest WHERE thread_id = OLD.thread_id;
    INSERT INTO thread_latest (thread_id, message_id, date, direction, is_bulk)
    SELECT thread_id, id, date, direction, is_bulk FROM message
    WHERE thread_id = OLD.thread_id ORDER BY date DESC, id DESC LIMIT 1;
END;

CREATE TRIGGER thread_latest_redate AFTER UPDATE OF date ON message
WHEN NEW.thread_id IS NOT NULL AND NEW.date IS NOT OLD.date
BEGIN
    DELETE FROM thread_latest WHERE thread_id = NEW.thread_id;
    INSERT INTO thread_latest (thread_id, message_id, date, direction, is_bulk)
    SELECT thread_id, id, date, direction, is_bulk FROM message
    WHERE thread_id = NEW.thread_id ORDER BY date DESC, id DESC LIMIT 1;
END;

-- Snoozed (until a time) or dismissed (until NULL) waiting threads, by the message that
-- made them wait: a newer message in the thread is a new situation and shows again.
CREATE TABLE followup_dismissal (
    message_id INTEGER PRIMARY KEY REFERENCES message (id) ON DELETE CASCADE,
    until      INTEGER,
    created_at INTEGER NOT NULL
);

-- The user's follow-up preferences: one row.
CREATE TABLE followup_setting (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    reply_wait_days    INTEGER NOT NULL DEFAULT 3 CHECK (reply_wait_days BETWEEN 1 AND 60),
    lookback_days      INTEGER NOT NULL DEFAULT 30 CHECK (lookback_days BETWEEN 7 AND 365),
    cadence_days       INTEGER NOT NULL DEFAULT 30 CHECK (cadence_days BETWEEN 1 AND 3650)
);
INSERT INTO followup_setting (id) VALUES (1);

-- How often this contact should hear from me; NULL follows followup_setting.cadence_days.
ALTER TABLE contact ADD COLUMN cadence_days INTEGER CHECK (cadence_days BETWEEN 1 AND 3650);

CREATE INDEX contact_follow_up ON contact (follow_up_at) WHERE follow_up_at IS NOT NULL;
CREATE INDEX contact_stage_last ON contact (stage, last_contact_at);
