-- The scan's verdict on each file: when it was scanned and, if it was not clean, the signature that matched.
ALTER TABLE files ADD COLUMN scanned_at timestamptz;
ALTER TABLE files ADD COLUMN scan_signature text;
ALTER TABLE files ADD CONSTRAINT files_quarantine_has_signature CHECK (state <> 'quarantined' OR scan_signature IS NOT NULL);
