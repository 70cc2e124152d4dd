-- The SRE console (Sources/Console, docs/CONSOLE.md): operator sessions, the audit of operator actions, and the
-- persisted throughput rollups of finished jobs (so the overview's hour and week survive restarts and pruning).
CREATE SCHEMA IF NOT EXISTS console;

-- A signed-in operator. The cookie carries a random token; only its SHA-256 is stored, so a leaked table does
-- not sign anyone in. Rows past expires_at are refused and swept.
CREATE TABLE console.sessions (
  token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 256),
  tenant      text NOT NULL CHECK (length(tenant) BETWEEN 1 AND 128),
  can_act     boolean NOT NULL,
  csrf_token  text NOT NULL CHECK (length(csrf_token) >= 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  CHECK (expires_at > created_at)
);
CREATE INDEX sessions_expiry ON console.sessions (expires_at);

-- Every operator action: who, what, on which target or filter, how many jobs; bulk runs update done/status
-- as their batches commit.
CREATE TABLE console.audit (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  action      text NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
  target      text,
  filter      jsonb,
  matched     integer NOT NULL DEFAULT 0 CHECK (matched >= 0),
  done        integer NOT NULL DEFAULT 0 CHECK (done >= 0),
  status      text NOT NULL DEFAULT 'done' CHECK (status IN ('running', 'done', 'failed', 'dry_run')),
  detail      text
);
CREATE INDEX audit_at ON console.audit (at DESC);

-- Finished jobs per minute, queue and final state, filled from jobkit.jobs by one process at a time
-- (an advisory lock) up to a watermark.
CREATE TABLE console.job_rollups (
  bucket   timestamptz NOT NULL,
  queue    text NOT NULL,
  state    text NOT NULL CHECK (state IN ('completed', 'cancelled', 'discarded')),
  jobs     bigint NOT NULL CHECK (jobs >= 0),
  PRIMARY KEY (bucket, queue, state)
);
CREATE TABLE console.rollup_watermark (
  only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  rolled_to  timestamptz NOT NULL
);
INSERT INTO console.rollup_watermark (rolled_to) VALUES (now());

-- Two indexes for the console on jobkit.jobs, both partial to the dead-letter queue, so they cost the hot path
-- nothing (rows enter them only when discarded; state already changes on every transition, so no HOT update is
-- lost): finding a dead letter by an args value (args @> '{...}', the console's most common search), and counting
-- dead letters per queue for the overview with an index-only scan (50,000 of them: 124 ms by the heap, 10 ms so).
-- Other searches walk the primary key newest first, capped in rows and time (docs/CONSOLE.md).
CREATE INDEX jobs_discarded_args ON jobkit.jobs USING gin (args jsonb_path_ops) WHERE state = 'discarded';
CREATE INDEX jobs_discarded_queue ON jobkit.jobs (queue, kind) WHERE state = 'discarded';

GRANT USAGE ON SCHEMA console TO filestore_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON console.sessions, console.audit, console.job_rollups, console.rollup_watermark TO filestore_app;
