-- Webhook claims that do not read the whole backlog. A delivery is a head when it is the oldest pending delivery
-- of its (endpoint, aggregate) and its endpoint is enabled: only heads may be sent (per-file order), and the relay
-- claims due heads straight from an index in due order, instead of finding each file's oldest pending delivery
-- among every pending one on every claim (which made a claim, and so throughput, degrade with the backlog).
-- Maintained by the relay under its per-tenant lock: fan-out marks a new delivery the head when its file has no
-- pending delivery at that endpoint; recording a head delivered or dead promotes the file's next one; disabling an
-- endpoint clears its heads, enabling it and replaying dead letters recompute them (Storage/WebhookRepository).
ALTER TABLE webhook_deliveries ADD COLUMN head boolean NOT NULL DEFAULT false;

-- The backfill sees every tenant's rows: row-level security is forced on these tables, so lift the force (the
-- owner is then exempt) for this transaction's statements only.
ALTER TABLE webhook_deliveries NO FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints NO FORCE ROW LEVEL SECURITY;
UPDATE webhook_deliveries d SET head = true
FROM (SELECT DISTINCT ON (p.endpoint_id, p.aggregate_id) p.id
      FROM webhook_deliveries p JOIN webhook_endpoints e ON e.id = p.endpoint_id AND e.enabled
      WHERE p.state = 'pending'
      ORDER BY p.endpoint_id, p.aggregate_id, p.seq) h
WHERE d.id = h.id;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;

-- Claims read unleased due heads in due order; heads in flight (leased) sit in an index of their own, read only
-- for leases that lapsed (a killed relay run), so in-flight rows are never scanned past.
CREATE INDEX webhook_deliveries_claimable ON webhook_deliveries (tenant_id, next_attempt_at, id)
  WHERE state = 'pending' AND head AND locked_until IS NULL;
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (tenant_id, locked_until) WHERE state = 'pending' AND head AND locked_until IS NOT NULL;

-- The leader's sweep for relay work left behind: due heads only (a file's later events wait behind its head and
-- are no work of their own; a disabled endpoint has no heads).
CREATE OR REPLACE FUNCTION filestore_system.tenants_with_webhook_work(p_after text, p_limit integer, p_min_age interval)
  RETURNS SETOF text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT t FROM (
    SELECT o.tenant_id AS t FROM public.outbox_events o
    WHERE o.published_at IS NULL AND o.created_at < now() - p_min_age
    UNION
    SELECT d.tenant_id FROM public.webhook_deliveries d
    WHERE d.state = 'pending' AND d.head AND d.next_attempt_at <= now()
      AND (d.locked_until IS NULL OR d.locked_until < now())
  ) w
  WHERE p_after IS NULL OR t > p_after
  ORDER BY t LIMIT greatest(p_limit, 0)
$$;

-- A file's next pending delivery is found through webhook_deliveries_heads (tenant, endpoint, aggregate, seq). The
-- old (endpoint_id, state, seq) index also covered pending rows, and a planner without statistics (a table that
-- filled faster than autovacuum analyzes it) walked an endpoint's whole backlog through it for every lookup.
-- Finished deliveries (the log's delivered and dead rows, the dead letter's replay) keep an index of their own.
DROP INDEX webhook_deliveries_endpoint;
CREATE INDEX webhook_deliveries_endpoint_done ON webhook_deliveries (endpoint_id, state, id) WHERE state <> 'pending';
