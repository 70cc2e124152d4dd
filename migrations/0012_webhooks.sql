-- Events out: tenants' webhook endpoints, one delivery row per (endpoint, event) and the attempt log that
-- tenants read (docs/EVENTS.md). Events in: the inbox's deduplication table. Every table is a tenant table
-- (row-level security ENABLED and FORCED, as in 0002); the relay runs per tenant as filestore_app, and the
-- system role only learns which tenants have delivery work (filestore_system.tenants_with_webhook_work).

-- The outbox's commit order per aggregate: assigned at INSERT, after the aggregate's row lock was taken, so
-- within one file a later event always has a larger seq. The relay reads unpublished rows by the published_at
-- flag, never by a cursor over ids, so a row that commits after a younger one is never skipped.
ALTER TABLE outbox_events ADD COLUMN seq bigserial;
CREATE INDEX outbox_pending_seq ON outbox_events (tenant_id, seq) WHERE published_at IS NULL;
GRANT USAGE, SELECT ON SEQUENCE outbox_events_seq_seq TO filestore_app;

CREATE TABLE webhook_endpoints (
  id                   text PRIMARY KEY CHECK (id ~ '^whk_[0-7][0-9A-HJKMNP-TV-Z]{25}$'),
  tenant_id            text NOT NULL REFERENCES tenants (id),
  url                  text NOT NULL CHECK (length(url) <= 2048),
  topics               text[] NOT NULL CHECK (cardinality(topics) BETWEEN 1 AND 64),
  description          text CHECK (description IS NULL OR length(description) <= 512),
  enabled              boolean NOT NULL DEFAULT true,
  disabled_reason      text,
  secret               text NOT NULL,
  previous_secret      text,
  previous_expires_at  timestamptz,
  failing_since        timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, id);

-- One row per event and endpoint. state: pending (to deliver, at next_attempt_at), delivered, dead (retries
-- exhausted: the dead letter). locked_until is the lease of the relay run delivering it (a killed run's lease
-- lapses and the delivery is taken again: at-least-once). seq copies the outbox's, for the per-aggregate order.
CREATE TABLE webhook_deliveries (
  id               bigserial PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants (id),
  endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id         text NOT NULL,
  topic            text NOT NULL,
  aggregate_id     text NOT NULL,
  seq              bigint NOT NULL,
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_until     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_heads ON webhook_deliveries (tenant_id, endpoint_id, aggregate_id, seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, state, seq);

CREATE TABLE webhook_attempts (
  id               bigserial PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants (id),
  endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id         text NOT NULL,
  topic            text NOT NULL,
  attempt          integer NOT NULL,
  at               timestamptz NOT NULL DEFAULT now(),
  status_code      integer,
  latency_ms       integer NOT NULL,
  response_prefix  text,
  error            text,
  outcome          text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'dead', 'disabled')),
  next_attempt_at  timestamptz
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id DESC);

-- The inbox: one row per (source, event id) consumed; the insert shares the transaction of the job it enqueues.
CREATE TABLE inbox_events (
  source       text NOT NULL CHECK (source ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  event_id     text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 256),
  tenant_id    text NOT NULL REFERENCES tenants (id),
  topic        text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, event_id)
);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_endpoints USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_attempts USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());
ALTER TABLE inbox_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE inbox_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inbox_events USING (tenant_id = current_tenant()) WITH CHECK (tenant_id = current_tenant());

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints, webhook_deliveries TO filestore_app;
GRANT SELECT, INSERT ON webhook_attempts, inbox_events TO filestore_app;
GRANT USAGE, SELECT ON SEQUENCE webhook_deliveries_id_seq, webhook_attempts_id_seq TO filestore_app;

-- The system path may learn which tenants have relay work: unpublished outbox rows older than p_min_age, or
-- deliveries due and not under a live lease. Reads only, through these policies (as in 0008).
CREATE POLICY system_read ON outbox_events AS PERMISSIVE FOR SELECT TO CURRENT_USER
  USING (session_user = 'filestore_system');
CREATE POLICY system_read ON webhook_deliveries AS PERMISSIVE FOR SELECT TO CURRENT_USER
  USING (session_user = 'filestore_system');
CREATE POLICY system_read ON webhook_endpoints AS PERMISSIVE FOR SELECT TO CURRENT_USER
  USING (session_user = 'filestore_system');

CREATE FUNCTION filestore_system.tenants_with_webhook_work(p_after text, p_limit integer, p_min_age interval)
  RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT t FROM (
    SELECT o.tenant_id AS t FROM public.outbox_events o
    WHERE o.published_at IS NULL AND o.created_at < now() - p_min_age
    UNION
    SELECT d.tenant_id FROM public.webhook_deliveries d JOIN public.webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.state = 'pending' AND e.enabled AND d.next_attempt_at <= now()
      AND (d.locked_until IS NULL OR d.locked_until < now())
  ) w
  WHERE p_after IS NULL OR t > p_after
  ORDER BY t LIMIT greatest(p_limit, 0)
$$;

-- Relay metrics across tenants: age in seconds of the oldest undelivered event (unpublished outbox row or
-- pending delivery of an enabled endpoint), pending deliveries, dead letters, disabled endpoints.
CREATE FUNCTION filestore_system.webhook_stats()
  RETURNS TABLE (oldest_age_seconds double precision, pending bigint, dead bigint, disabled_endpoints bigint)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT coalesce(extract(epoch FROM now() - least(
           (SELECT min(created_at) FROM public.outbox_events WHERE published_at IS NULL),
           (SELECT min(d.created_at) FROM public.webhook_deliveries d JOIN public.webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.state = 'pending' AND e.enabled))), 0)::double precision,
         (SELECT count(*) FROM public.webhook_deliveries WHERE state = 'pending'),
         (SELECT count(*) FROM public.webhook_deliveries WHERE state = 'dead'),
         (SELECT count(*) FROM public.webhook_endpoints WHERE NOT enabled)
$$;

REVOKE ALL ON FUNCTION filestore_system.tenants_with_webhook_work(text, integer, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION filestore_system.webhook_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION filestore_system.tenants_with_webhook_work(text, integer, interval) TO filestore_system;
GRANT EXECUTE ON FUNCTION filestore_system.webhook_stats() TO filestore_system;
