-- Resumable uploads (tus 1.0): a short lease on the upload row serializes PATCH requests from racing clients
-- without holding a transaction open while bytes stream.
ALTER TABLE uploads ADD COLUMN locked_by text;
ALTER TABLE uploads ADD COLUMN locked_until timestamptz;
ALTER TABLE uploads ADD CONSTRAINT uploads_lock_pair CHECK ((locked_by IS NULL) = (locked_until IS NULL));
