-- The file domain: tenants, files, uploads, audit and outbox events. Every table here is a tenant table:
-- row-level security ENABLED and FORCED, one policy keyed on the per-transaction setting app.tenant_id.
-- The service connects as filestore_app, which owns nothing, is no superuser and cannot bypass RLS.

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'filestore_app') THEN
    CREATE ROLE filestore_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END $$;

CREATE TYPE file_state AS ENUM (
  'pending', 'uploaded', 'scanning', 'clean', 'processing', 'ready', 'quarantined', 'failed', 'deleted', 'erased'
);

-- The tenant of the current transaction; NULL (no rows visible) when unset.
CREATE FUNCTION current_tenant() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('app.tenant_id', true), '') $$;

CREATE TABLE tenants (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  name        text NOT NULL,
  region      text NOT NULL DEFAULT 'local',
  quota_bytes bigint CHECK (quota_bytes IS NULL OR quota_bytes >= 0),
  quota_files bigint CHECK (quota_files IS NULL OR quota_files >= 0),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE files (
  id               text PRIMARY KEY CHECK (id ~ '^med_[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
  tenant_id        text NOT NULL REFERENCES tenants (id),
  state            file_state NOT NULL DEFAULT 'pending',
  object_key       text NOT NULL,
  original_name    text,
  declared_type    text,
  content_type     text,
  size             bigint CHECK (size IS NULL OR size >= 0),
  sha256           text CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
  -- Bumped to revoke every signed URL issued for the file.
  url_generation   integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- The tenant-prefix invariant, held by the database too.
  CONSTRAINT files_key_in_tenant_prefix CHECK (object_key = 'tenants/' || tenant_id || '/files/' || id || '/original')
);
CREATE INDEX files_tenant_created ON files (tenant_id, id DESC);
CREATE INDEX files_tenant_state ON files (tenant_id, state, id DESC);

CREATE TABLE uploads (
  id           text PRIMARY KEY CHECK (id ~ '^upl_[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
  tenant_id    text NOT NULL REFERENCES tenants (id),
  file_id      text REFERENCES files (id),
  length       bigint CHECK (length IS NULL OR length >= 0),
  "offset"     bigint NOT NULL DEFAULT 0 CHECK ("offset" >= 0 AND (length IS NULL OR "offset" <= length)),
  metadata     jsonb NOT NULL DEFAULT '{}',
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX uploads_expiry ON uploads (expires_at) WHERE completed_at IS NULL;

CREATE TABLE audit_events (
  id         text PRIMARY KEY CHECK (id ~ '^aud_[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
  tenant_id  text NOT NULL REFERENCES tenants (id),
  actor      text NOT NULL,
  action     text NOT NULL,
  subject_id text NOT NULL,
  details    jsonb NOT NULL DEFAULT '{}',
  request_id text,
  trace_context text,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_tenant_at ON audit_events (tenant_id, at);

CREATE TABLE outbox_events (
  id           text PRIMARY KEY CHECK (id ~ '^evt_[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
  tenant_id    text NOT NULL REFERENCES tenants (id),
  topic        text NOT NULL CHECK (topic ~ '^[a-z]+\.[a-z_]+\.v[0-9]+$'),
  aggregate_id text NOT NULL,
  payload      jsonb NOT NULL,
  trace_context text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox_events (created_at, id) WHERE published_at IS NULL;

-- Row-level security on every tenant table.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants USING (id = current_tenant()) WITH CHECK (id = current_tenant());

ALTER TABLE files ENABLE ROW LEVEL SECURITY;
ALTER TABLE files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON files USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());

ALTER TABLE uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON uploads USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());

ALTER TABLE outbox_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox_events USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());

-- The service role's grants: data access only, no DDL, no ownership. The audit log is append-only.
GRANT USAGE ON SCHEMA public TO filestore_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, files, uploads, outbox_events TO filestore_app;
GRANT SELECT, INSERT ON audit_events TO filestore_app;
GRANT EXECUTE ON FUNCTION current_tenant() TO filestore_app;
GRANT SELECT ON public.schema_migrations TO filestore_app;
-- The queue: the API enqueues in its business transactions; workers fetch and complete.
GRANT USAGE ON SCHEMA jobkit TO filestore_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON jobkit.jobs, jobkit.queues, jobkit.leaders TO filestore_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA jobkit TO filestore_app;
