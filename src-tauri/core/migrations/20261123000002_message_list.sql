-- Message lists (a folder, the unified inbox) are keyset pages newest first. Driving them
-- from message(date) would scan every message of every folder to find one folder's, so
-- each location carries a copy of its message's date and a (folder, date, message) index:
-- a page is one index range per folder, whatever the size of the store.
ALTER TABLE message_location ADD COLUMN date INTEGER NOT NULL DEFAULT 0;

UPDATE message_location
SET date = (SELECT m.date FROM message m WHERE m.id = message_location.message_id);

-- A message's date never changes once stored. The sync writer inserts it with the
-- location; this trigger fills it for any other writer (the bench generator, future
-- code) and costs nothing when the date was given.
CREATE TRIGGER message_location_copy_date AFTER INSERT ON message_location
WHEN NEW.date = 0
BEGIN
    UPDATE message_location
    SET date = (SELECT m.date FROM message m WHERE m.id = NEW.message_id)
    WHERE folder_id = NEW.folder_id AND uidvalidity = NEW.uidvalidity AND uid = NEW.uid;
END;

CREATE INDEX message_location_folder_date
    ON message_location (folder_id, date DESC, message_id DESC);
