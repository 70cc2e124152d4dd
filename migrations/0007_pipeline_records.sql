-- Whether the type the client declared disagrees with the type sniffed from the bytes (recorded at upload;
-- the optimize step applies FILESTORE_TYPE_MISMATCH_POLICY).
ALTER TABLE files ADD COLUMN type_mismatch boolean NOT NULL DEFAULT false;
-- When a deleted file's bytes (original and variants) were removed by its file.purge job.
ALTER TABLE files ADD COLUMN purged_at timestamptz;
ALTER TABLE files ADD CONSTRAINT files_purged_only_when_gone CHECK (purged_at IS NULL OR state IN ('deleted', 'erased'));
