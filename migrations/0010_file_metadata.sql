-- Metadata the pipeline found on a file, and whether what is served was scrubbed of it (issue 12).
-- metadata_found: the kinds of personal data the original carried (gps, device, author, timestamps), recorded
-- by the optimize step; NULL until then. metadata_scrubbed: true when every served byte was re-encoded without
-- metadata (an image's variants), false when the file is served as uploaded.
ALTER TABLE files ADD COLUMN metadata_found text[];
ALTER TABLE files ADD COLUMN metadata_scrubbed boolean;
-- What the optimize step does with a file whose personal metadata it cannot remove: 'serve' it and say so on
-- the file resource (default), or 'fail' it with the reason.
ALTER TABLE tenants ADD COLUMN unscrubbable_metadata text NOT NULL DEFAULT 'serve'
  CONSTRAINT tenants_unscrubbable_metadata_known CHECK (unscrubbable_metadata IN ('serve', 'fail'));
