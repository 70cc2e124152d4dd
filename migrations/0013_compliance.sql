-- Compliance (issue 15, docs/COMPLIANCE.md): the data subjects of files, erasure requests and their receipts,
-- retention classes whose dates only move later, legal hold, and a tamper-evident audit log. The guards here are
-- triggers: they hold for every role that writes these tables, the service role and the owner alike, not only
-- for the application's code paths.

-- ---------------------------------------------------------------------------------------------------------
-- Data subjects: the people a file concerns — its uploader (the token's `sub`) and anyone named at upload or
-- later by compliance:admin. Erasure finds a subject's files here.
CREATE TABLE file_subjects (
  tenant_id  text NOT NULL REFERENCES tenants (id),
  file_id    text NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  subject_id text NOT NULL CHECK (length(subject_id) BETWEEN 1 AND 256),
  role       text NOT NULL CHECK (role IN ('uploader', 'named')),
  PRIMARY KEY (tenant_id, subject_id, file_id)
);
CREATE INDEX file_subjects_file ON file_subjects (file_id);
ALTER TABLE file_subjects ENABLE ROW LEVEL SECURITY;
ALTER TABLE file_subjects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON file_subjects USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON file_subjects TO filestore_app;

-- Unfinished resumable uploads carry their subjects too, so erasure finds staged bytes that are not a file yet.
ALTER TABLE uploads ADD COLUMN subjects text[] NOT NULL DEFAULT '{}';
CREATE INDEX uploads_subjects ON uploads USING gin (subjects) WHERE completed_at IS NULL;

-- ---------------------------------------------------------------------------------------------------------
-- Retention classes of a tenant (the built-ins `standard`, `audit_log`, `tax_invoice` come from configuration
-- unless the tenant defines a class of that name). duration_months NULL: no retention.
CREATE TABLE retention_classes (
  tenant_id       text NOT NULL REFERENCES tenants (id),
  name            text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
  duration_months integer CHECK (duration_months IS NULL OR duration_months BETWEEN 1 AND 1200),
  clock           text NOT NULL DEFAULT 'upload' CHECK (clock IN ('upload', 'year_end')),
  action          text NOT NULL DEFAULT 'delete' CHECK (action IN ('delete', 'review')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, name)
);
ALTER TABLE retention_classes ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_classes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON retention_classes USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON retention_classes TO filestore_app;

ALTER TABLE files ADD COLUMN retention_class text NOT NULL DEFAULT 'standard';
-- The file may not be deleted, erased or swept before this; it only ever moves later.
ALTER TABLE files ADD COLUMN retain_until timestamptz;
-- What the sweep does once retain_until passes: 'delete' the file, or flag it for 'review'.
ALTER TABLE files ADD COLUMN retention_action text CHECK (retention_action IS NULL OR retention_action IN ('delete', 'review'));
ALTER TABLE files ADD COLUMN retention_review_since timestamptz;
ALTER TABLE files ADD COLUMN legal_hold_reason text CHECK (legal_hold_reason IS NULL OR length(legal_hold_reason) BETWEEN 1 AND 1000);
ALTER TABLE files ADD COLUMN legal_hold_at timestamptz;
ALTER TABLE files ADD COLUMN legal_hold_by text;
CREATE INDEX files_retention_due ON files (tenant_id, retain_until)
  WHERE retain_until IS NOT NULL AND state NOT IN ('deleted', 'erased');

-- The guard: retain_until never moves earlier or goes away; a file under legal hold or unexpired retention is
-- never moved to deleted or erased, nor its row deleted. SQLSTATE FSR01 (retained) and FSH01 (held) let the
-- service name the refusal.
CREATE FUNCTION files_retention_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.legal_hold_reason IS NOT NULL THEN
      RAISE EXCEPTION 'file % is under legal hold and cannot be deleted', OLD.id USING ERRCODE = 'FSH01';
    END IF;
    IF OLD.retain_until IS NOT NULL AND OLD.retain_until > now() THEN
      RAISE EXCEPTION 'file % is retained until % and cannot be deleted', OLD.id, OLD.retain_until USING ERRCODE = 'FSR01';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.retain_until IS NOT NULL AND (NEW.retain_until IS NULL OR NEW.retain_until < OLD.retain_until) THEN
    RAISE EXCEPTION 'the retain-until date of file % can only move later (it is %)', OLD.id, OLD.retain_until USING ERRCODE = 'FSR01';
  END IF;
  IF NEW.state IN ('deleted', 'erased') AND NEW.state IS DISTINCT FROM OLD.state THEN
    IF OLD.legal_hold_reason IS NOT NULL OR NEW.legal_hold_reason IS NOT NULL THEN
      RAISE EXCEPTION 'file % is under legal hold and cannot be %', OLD.id, NEW.state USING ERRCODE = 'FSH01';
    END IF;
    IF NEW.retain_until IS NOT NULL AND NEW.retain_until > now() THEN
      RAISE EXCEPTION 'file % is retained until % and cannot be %', OLD.id, NEW.retain_until, NEW.state USING ERRCODE = 'FSR01';
    END IF;
  END IF;
  IF NEW.legal_hold_reason IS NOT NULL AND OLD.legal_hold_reason IS NULL AND OLD.state IN ('deleted', 'erased') THEN
    RAISE EXCEPTION 'file % is %: nothing is left to hold', OLD.id, OLD.state USING ERRCODE = 'FSH01';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER files_retention_guard BEFORE UPDATE OR DELETE ON files FOR EACH ROW EXECUTE FUNCTION files_retention_guard();

-- ---------------------------------------------------------------------------------------------------------
-- Erasure requests (GDPR Art. 17). The subject's id is kept only while the request runs (the jobs need it to
-- find what to erase); once it finishes only its keyed hash remains. One request per (tenant, subject, reference).
CREATE TABLE erasure_requests (
  id                 text PRIMARY KEY CHECK (id ~ '^dsr_[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
  tenant_id          text NOT NULL REFERENCES tenants (id),
  subject_id         text CHECK (subject_id IS NULL OR length(subject_id) BETWEEN 1 AND 256),
  subject_hash       text NOT NULL,
  scope              text NOT NULL DEFAULT 'subject' CHECK (scope IN ('subject', 'tenant')),
  reason             text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  reference          text CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 256),
  source             text NOT NULL,
  requested_by       text NOT NULL,
  state              text NOT NULL DEFAULT 'received'
                     CHECK (state IN ('received', 'running', 'completed', 'completed_with_exceptions', 'failed')),
  received_at        timestamptz NOT NULL DEFAULT now(),
  due_at             timestamptz NOT NULL,
  started_at         timestamptz,
  finished_at        timestamptz,
  files_total        integer NOT NULL DEFAULT 0,
  files_erased       integer NOT NULL DEFAULT 0,
  files_kept         integer NOT NULL DEFAULT 0,
  attempts           integer NOT NULL DEFAULT 0,
  -- The last file id a finished batch dealt with: a retried run goes on from there.
  cursor             text,
  last_error         text,
  -- The signed receipt: the exact bytes signed (canonical JSON), and the Ed25519 signature (base64) over them.
  receipt            text,
  receipt_signature  text,
  receipt_key_id     text,
  CONSTRAINT erasure_requests_subject_until_finished
    CHECK (state IN ('received', 'running') OR subject_id IS NULL)
);
CREATE UNIQUE INDEX erasure_requests_once ON erasure_requests (tenant_id, subject_hash, scope, reference) NULLS NOT DISTINCT;
CREATE INDEX erasure_requests_open ON erasure_requests (due_at) WHERE state IN ('received', 'running');
ALTER TABLE erasure_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasure_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON erasure_requests USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON erasure_requests TO filestore_app;

-- What an erasure touched, item by item: the receipt is assembled from these rows.
CREATE TABLE erasure_items (
  request_id   text NOT NULL REFERENCES erasure_requests (id),
  tenant_id    text NOT NULL REFERENCES tenants (id),
  seq          bigint GENERATED ALWAYS AS IDENTITY,
  store        text NOT NULL,
  item         text NOT NULL,
  method       text NOT NULL CHECK (method IN ('deleted', 'overwritten', 'kept')),
  basis        text,
  verification text NOT NULL,
  at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, seq)
);
ALTER TABLE erasure_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasure_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON erasure_items USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT ON erasure_items TO filestore_app;

-- ---------------------------------------------------------------------------------------------------------
-- The audit log, tamper-evident: each row is sealed into its tenant's hash chain (chain_seq, prev_hash, hash)
-- shortly after it is written (the audit.seal sweep), so that writers never serialize on a chain head. The
-- chain covers the actor through actor_digest (a keyed hash), which lets erasure redact the actor itself
-- without breaking the chain.
ALTER TABLE audit_events ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE audit_events ALTER COLUMN actor DROP NOT NULL;
ALTER TABLE audit_events ADD COLUMN actor_digest text;
ALTER TABLE audit_events ADD COLUMN chain_seq bigint;
ALTER TABLE audit_events ADD COLUMN prev_hash text;
ALTER TABLE audit_events ADD COLUMN hash text;
ALTER TABLE audit_events ADD COLUMN sealed_at timestamptz;
CREATE UNIQUE INDEX audit_events_chain ON audit_events (tenant_id, chain_seq) WHERE chain_seq IS NOT NULL;
CREATE INDEX audit_events_unsealed ON audit_events (tenant_id, seq) WHERE hash IS NULL;

CREATE TABLE audit_chain_heads (
  tenant_id  text PRIMARY KEY REFERENCES tenants (id),
  chain_seq  bigint NOT NULL,
  hash       text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_chain_heads USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO filestore_app;
-- Sealing and redaction are the only updates, and they touch only these columns.
GRANT UPDATE (actor, actor_digest, chain_seq, prev_hash, hash, sealed_at) ON audit_events TO filestore_app;

-- The guard, for every role: a row's content never changes; it is sealed once; a sealed row's actor may only be
-- redacted (set NULL, its digest kept); no row younger than 7 years is deleted; the table is never truncated.
CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'the audit log is never truncated' USING ERRCODE = 'FSA01';
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF OLD.at > now() - interval '7 years' THEN
      RAISE EXCEPTION 'audit event % is younger than 7 years and is kept', OLD.id USING ERRCODE = 'FSA01';
    END IF;
    RETURN OLD;
  END IF;
  IF (NEW.id, NEW.tenant_id, NEW.action, NEW.subject_id, NEW.details, NEW.request_id, NEW.trace_context, NEW.at, NEW.seq)
     IS DISTINCT FROM
     (OLD.id, OLD.tenant_id, OLD.action, OLD.subject_id, OLD.details, OLD.request_id, OLD.trace_context, OLD.at, OLD.seq) THEN
    RAISE EXCEPTION 'audit event % is append-only: its content never changes', OLD.id USING ERRCODE = 'FSA01';
  END IF;
  IF OLD.hash IS NULL THEN
    -- Sealing: the chain fields are set once, with the actor's digest, and the actor unchanged.
    IF NEW.hash IS NULL OR NEW.chain_seq IS NULL OR NEW.actor_digest IS NULL OR NEW.actor IS DISTINCT FROM OLD.actor THEN
      RAISE EXCEPTION 'audit event % can only be sealed (chain_seq, prev_hash, hash, actor_digest together)', OLD.id USING ERRCODE = 'FSA01';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.actor_digest, NEW.chain_seq, NEW.prev_hash, NEW.hash, NEW.sealed_at)
     IS DISTINCT FROM (OLD.actor_digest, OLD.chain_seq, OLD.prev_hash, OLD.hash, OLD.sealed_at)
     OR (NEW.actor IS NOT NULL AND NEW.actor IS DISTINCT FROM OLD.actor) THEN
    RAISE EXCEPTION 'audit event % is sealed: only its actor may be redacted', OLD.id USING ERRCODE = 'FSA01';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_events_guard BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_guard();

-- Webhook attempts stay append-only but for erasure: their response excerpts and errors may be cleared.
GRANT UPDATE (response_prefix, error) ON webhook_attempts TO filestore_app;

-- ---------------------------------------------------------------------------------------------------------
-- The system path (docs/DATABASE_ROLES.md): which tenants have work for the compliance sweeps.
CREATE POLICY system_read ON files AS PERMISSIVE FOR SELECT TO CURRENT_USER
  USING (session_user = 'filestore_system');
CREATE POLICY system_read ON audit_events AS PERMISSIVE FOR SELECT TO CURRENT_USER
  USING (session_user = 'filestore_system');

-- Tenants (id order, after p_after, at most p_limit) with a live file whose retention expired.
CREATE FUNCTION filestore_system.tenants_with_expired_retention(p_after text, p_limit integer)
  RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT DISTINCT f.tenant_id FROM public.files f
  WHERE f.retain_until IS NOT NULL AND f.retain_until <= now() AND f.retention_review_since IS NULL
    AND f.legal_hold_reason IS NULL AND f.state NOT IN ('deleted', 'erased')
    AND (p_after IS NULL OR f.tenant_id > p_after)
  ORDER BY f.tenant_id LIMIT greatest(p_limit, 0)
$$;

-- Tenants (id order, after p_after, at most p_limit) with audit events not yet sealed into their chain.
CREATE FUNCTION filestore_system.tenants_with_unsealed_audit(p_after text, p_limit integer)
  RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT DISTINCT a.tenant_id FROM public.audit_events a
  WHERE a.hash IS NULL AND (p_after IS NULL OR a.tenant_id > p_after)
  ORDER BY a.tenant_id LIMIT greatest(p_limit, 0)
$$;

-- Open erasure requests across tenants, for the gauges behind the due-date alerts.
CREATE POLICY system_read ON erasure_requests AS PERMISSIVE FOR SELECT TO CURRENT_USER
  USING (session_user = 'filestore_system');
CREATE FUNCTION filestore_system.erasure_stats(p_due_within interval)
  RETURNS TABLE (open bigint, due_soon bigint, overdue bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT count(*),
         count(*) FILTER (WHERE r.due_at > now() AND r.due_at <= now() + p_due_within),
         count(*) FILTER (WHERE r.due_at <= now())
  FROM public.erasure_requests r WHERE r.state IN ('received', 'running')
$$;
REVOKE ALL ON FUNCTION filestore_system.erasure_stats(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION filestore_system.erasure_stats(interval) TO filestore_system;

REVOKE ALL ON FUNCTION filestore_system.tenants_with_expired_retention(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION filestore_system.tenants_with_unsealed_audit(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION filestore_system.tenants_with_expired_retention(text, integer) TO filestore_system;
GRANT EXECUTE ON FUNCTION filestore_system.tenants_with_unsealed_audit(text, integer) TO filestore_system;
