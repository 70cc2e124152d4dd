-- Idempotency keys of mutating API requests: the same key and request replays the stored response; the same
-- key with another request is refused. Rows expire (24 h by default) and are swept by maintenance.
CREATE TABLE idempotency_keys (
  tenant_id     text NOT NULL REFERENCES tenants (id),
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash  text NOT NULL,
  -- NULL while the first request is still running.
  status        integer,
  content_type  text,
  location      text,
  body          bytea,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO filestore_app;
