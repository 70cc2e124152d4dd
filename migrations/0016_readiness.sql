-- Readiness as code (Sources/Readiness, docs/READINESS.md): the recorded revalidations of the checklist
-- (../shared/spec/SERVICE_READINESS.txt), their rows with evidence, the findings a failing row opens (one open
-- finding per row at a time), the exemptions the checks read from here rather than from code, and the registry of
-- running processes whose /healthz, /readyz and /metrics a revalidation probes. System tables like the
-- scheduler's and the console's: no tenant column, so no row-level security; the service role reads and writes them.
CREATE SCHEMA IF NOT EXISTS readiness;

-- One evaluation of the checklist, recorded by the `readiness.revalidate` job (or `filestore readiness --record`).
CREATE TABLE readiness.runs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL DEFAULT now(),
  level        smallint NOT NULL CHECK (level BETWEEN 0 AND 4),
  passed       integer NOT NULL CHECK (passed >= 0),
  failed       integer NOT NULL CHECK (failed >= 0),
  manual       integer NOT NULL CHECK (manual >= 0),
  not_applicable integer NOT NULL CHECK (not_applicable >= 0),
  trigger      text NOT NULL CHECK (trigger IN ('job', 'cli')),
  job_id       bigint,
  CHECK (finished_at >= started_at)
);
CREATE INDEX runs_finished ON readiness.runs (finished_at DESC);

-- Each row of a run: the checklist row, its status and the evidence (what was queried, read or probed, and the answer).
CREATE TABLE readiness.run_rows (
  run_id    bigint NOT NULL REFERENCES readiness.runs (id) ON DELETE CASCADE,
  row_id    text NOT NULL CHECK (row_id ~ '^(§[0-9]{1,2}|[A-Z]{1,2}[0-9]{1,2})$'),
  title     text NOT NULL,
  status    text NOT NULL CHECK (status IN ('pass', 'fail', 'manual', 'not_applicable')),
  level     smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
  evidence  jsonb NOT NULL CHECK (jsonb_typeof(evidence) = 'array'),
  PRIMARY KEY (run_id, row_id)
);

-- A failing row opens a finding; later runs in which the row still fails only update last_seen_run_id; the first
-- run in which it passes again closes it. At most one open finding per row.
CREATE TABLE readiness.findings (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  row_id           text NOT NULL,
  title            text NOT NULL,
  opened_at        timestamptz NOT NULL DEFAULT now(),
  opened_run_id    bigint NOT NULL REFERENCES readiness.runs (id),
  last_seen_run_id bigint NOT NULL REFERENCES readiness.runs (id),
  evidence         jsonb NOT NULL CHECK (jsonb_typeof(evidence) = 'array'),
  closed_at        timestamptz,
  closed_run_id    bigint REFERENCES readiness.runs (id),
  CHECK ((closed_at IS NULL) = (closed_run_id IS NULL))
);
CREATE UNIQUE INDEX findings_open_row ON readiness.findings (row_id) WHERE closed_at IS NULL;
CREATE INDEX findings_opened ON readiness.findings (opened_at DESC);

-- Tables or columns exempt from a catalog check by design, with the reason the evidence names. The checks read
-- this table, so an exemption is a reviewed row of a migration, never a line hidden in code.
CREATE TABLE readiness.exemptions (
  check_name text NOT NULL CHECK (check_name IN ('rls', 'id_prefix')),
  relation   text NOT NULL CHECK (relation ~ '^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$'),
  reason     text NOT NULL CHECK (length(reason) BETWEEN 10 AND 500),
  PRIMARY KEY (check_name, relation)
);
INSERT INTO readiness.exemptions (check_name, relation, reason) VALUES
  ('rls', 'jobkit.jobs', 'the queue''s own table: workers fetch across tenants with FOR UPDATE SKIP LOCKED; tenant_id only routes the job, and every handler re-enters the tenant through TenantDatabase, where RLS applies'),
  ('id_prefix', 'public.tenants', 'tenant ids are slugs chosen by the platform (CHECK ^[a-z0-9][a-z0-9_-]{0,63}$), not generated prefixed ids');

-- Every running filestore process (serve, work, dev, schedule): where its /healthz, /readyz and /metrics answer,
-- renewed by a heartbeat; a clean stop removes its row, a crashed one goes stale and is ignored (and named).
CREATE TABLE readiness.processes (
  instance_id  text PRIMARY KEY CHECK (instance_id ~ '^[A-Za-z0-9._:-]{1,200}$'),
  command      text NOT NULL CHECK (command ~ '^[a-z-]{1,32}$'),
  host         text NOT NULL,
  pid          integer NOT NULL,
  ops_url      text CHECK (ops_url IS NULL OR ops_url ~ '^https?://'),
  version      text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processes_heartbeat ON readiness.processes (heartbeat_at);

GRANT USAGE ON SCHEMA readiness TO filestore_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON readiness.runs, readiness.run_rows, readiness.findings, readiness.processes TO filestore_app;
GRANT SELECT ON readiness.exemptions TO filestore_app;
