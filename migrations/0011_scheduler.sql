-- The scheduler (Sources/Scheduler, docs/SCHEDULER.md): schedules, built-in and operator, and the run ledger.
-- Exactly one job per (schedule, fire time): the ledger's primary key, written in the same statement as the
-- job, refuses a second insert whatever a replica believes about its leadership.
CREATE SCHEMA IF NOT EXISTS scheduler;

CREATE TABLE scheduler.schedules (
  name            text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.:-]{0,127}$'),
  cron            text NOT NULL CHECK (length(cron) BETWEEN 1 AND 200),
  time_zone       text NOT NULL DEFAULT 'UTC',
  kind            text NOT NULL CHECK (length(kind) BETWEEN 1 AND 128),
  args            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(args) = 'object'),
  queue           text NOT NULL DEFAULT 'default' CHECK (queue ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
  priority        smallint NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 9),
  max_attempts    smallint NOT NULL DEFAULT 20 CHECK (max_attempts >= 1),
  misfire         text NOT NULL DEFAULT 'skip' CHECK (misfire ~ '^(skip|once|all:[0-9]{1,4})$'),
  overlap         text NOT NULL DEFAULT 'allow' CHECK (overlap IN ('allow', 'skip', 'cancel')),
  paused          boolean NOT NULL DEFAULT false,
  builtin         boolean NOT NULL DEFAULT false,
  -- The first fire time not yet planned; the scheduler's tick takes the schedules whose time has come.
  next_fire_at    timestamptz,
  last_fire_at    timestamptz,
  last_job_id     bigint,
  last_success_at timestamptz,
  period_seconds  double precision,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_due ON scheduler.schedules (next_fire_at);

-- Every planned fire time and its outcome: inserted (with the job) or skipped (paused, overlap, misfire).
CREATE TABLE scheduler.runs (
  schedule   text NOT NULL REFERENCES scheduler.schedules (name) ON DELETE CASCADE,
  fire_time  timestamptz NOT NULL,
  outcome    text NOT NULL CHECK (outcome IN ('inserted', 'skipped')),
  reason     text CHECK (reason IN ('paused', 'overlap', 'misfire', 'trigger')),
  job_id     bigint,
  planned_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (schedule, fire_time),
  CHECK ((outcome = 'inserted') = (job_id IS NOT NULL))
);
CREATE INDEX runs_planned ON scheduler.runs (planned_at);

GRANT USAGE ON SCHEMA scheduler TO filestore_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON scheduler.schedules, scheduler.runs TO filestore_app;
