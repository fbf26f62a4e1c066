-- Drafts also kept in the server's Drafts folder: where the last copy went, so the next
-- save replaces it and sending or discarding removes it.
ALTER TABLE draft ADD COLUMN server_folder_id INTEGER REFERENCES folder (id) ON DELETE SET NULL;
ALTER TABLE draft ADD COLUMN server_uidvalidity INTEGER;
ALTER TABLE draft ADD COLUMN server_uid INTEGER;
