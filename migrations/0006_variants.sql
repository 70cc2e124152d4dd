-- Image variants (thumb, preview, scrubbed) stored beside a file's original, under the tenant's prefix.
CREATE TABLE file_variants (
  tenant_id    text NOT NULL REFERENCES tenants (id),
  file_id      text NOT NULL REFERENCES files (id),
  name         text NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
  object_key   text NOT NULL,
  content_type text NOT NULL,
  size         bigint NOT NULL CHECK (size >= 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  width        integer,
  height       integer,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, name),
  CONSTRAINT file_variants_key_in_tenant_prefix CHECK (object_key = 'tenants/' || tenant_id || '/files/' || file_id || '/' || name)
);
ALTER TABLE file_variants ENABLE ROW LEVEL SECURITY;
ALTER TABLE file_variants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON file_variants USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON file_variants TO filestore_app;
