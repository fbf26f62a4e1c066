-- A message's Message-ID is also its dedup key (store/messages.rs, mime::parse), and the
-- unique index on dedup_key finds stored messages by it; this second index on the same
-- text made every stored message one more random B-tree insert.
DROP INDEX message_message_id;
