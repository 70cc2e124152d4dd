/// The product's hot queries, by name, in the form their repositories run them (placeholders filled with
/// representative values): the readiness row DA4 checks that each one's plan reads through an index. A new
/// repository query on a request's or a worker's hot path gets a line here.
public enum HotQueries {
    public struct Query: Sendable, Hashable {
        public var name: String
        public var sql: String
    }

    public static let all: [Query] = [
        Query(name: "file by id (download, every file route)",
              sql: "SELECT id, state FROM files WHERE id = 'med_00000000000000000000000000'"),
        Query(name: "a tenant's files, newest first (GET /v1/files)",
              sql: "SELECT id FROM files WHERE tenant_id = current_tenant() ORDER BY id DESC LIMIT 50"),
        Query(name: "a tenant's files in one state (GET /v1/files?state=)",
              sql: "SELECT id FROM files WHERE tenant_id = current_tenant() AND state = 'ready' ORDER BY id DESC LIMIT 50"),
        Query(name: "variant of a file (download)",
              sql: "SELECT object_key FROM file_variants WHERE file_id = 'med_00000000000000000000000000' AND name = 'scrubbed'"),
        Query(name: "idempotency key (every mutating request)",
              sql: "SELECT status FROM idempotency_keys WHERE tenant_id = current_tenant() AND key = 'k'"),
        Query(name: "tus upload by id (PATCH/HEAD)",
              sql: "SELECT \"offset\" FROM uploads WHERE id = 'upl_00000000000000000000000000'"),
        Query(name: "job fetch (JobKit producer)",
              sql: "SELECT id FROM jobkit.jobs WHERE state = 'available' AND queue = 'default' AND scheduled_at <= now() ORDER BY priority, scheduled_at, id LIMIT 10 FOR UPDATE SKIP LOCKED"),
        Query(name: "expired leases (JobKit rescuer)",
              sql: "SELECT id FROM jobkit.jobs WHERE state = 'running' AND lease_expires_at < now() LIMIT 100"),
        Query(name: "due scheduled/retryable jobs (JobKit stager)",
              sql: "SELECT id FROM jobkit.jobs WHERE state IN ('scheduled', 'retryable') AND scheduled_at <= now() LIMIT 100"),
        Query(name: "unpublished outbox events of a tenant (relay)",
              sql: "SELECT id FROM outbox_events WHERE tenant_id = current_tenant() AND published_at IS NULL ORDER BY seq LIMIT 100"),
        Query(name: "due claimable heads of a tenant (relay claim)",
              sql: "SELECT id FROM webhook_deliveries WHERE tenant_id = current_tenant() AND state = 'pending' AND head AND locked_until IS NULL AND next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT 100"),
        Query(name: "pending delivery heads (relay)",
              sql: "SELECT id FROM webhook_deliveries WHERE tenant_id = current_tenant() AND state = 'pending' ORDER BY endpoint_id, aggregate_id, seq LIMIT 100"),
        Query(name: "due schedules (scheduler tick)",
              sql: "SELECT name FROM scheduler.schedules WHERE next_fire_at <= now() ORDER BY next_fire_at LIMIT 100"),
        Query(name: "open finding of a row (readiness)",
              sql: "SELECT id FROM readiness.findings WHERE row_id = 'DA2' AND closed_at IS NULL"),
    ]
}
