import Domain
import PostgresNIO

extension SystemDatabase {
    /// Tenants (id order, after `after`, at most `limit`) with relay work: outbox rows unpublished for longer
    /// than `minAge` seconds, or deliveries due and not under a live lease (migration 0012).
    public func tenantsWithWebhookWork(after: TenantID? = nil, limit: Int, minAge: Double) async throws -> [TenantID] {
        let rows = try await postgres.query("""
            SELECT filestore_system.tenants_with_webhook_work(\(after?.value)::text, \(Int32(clamping: limit)), make_interval(secs => \(minAge)))
            """, logger: logger)
        var tenants: [TenantID] = []
        for try await id in rows.decode(String.self) { tenants.append(try TenantID(id)) }
        return tenants
    }

    /// Relay figures across tenants, for the gauges.
    public struct WebhookStats: Sendable, Hashable {
        /// Seconds since the oldest event still undelivered (unpublished, or pending for an enabled endpoint) was written.
        public var oldestUndeliveredAge: Double
        public var pending: Int
        public var dead: Int
        public var disabledEndpoints: Int
    }

    public func webhookStats() async throws -> WebhookStats {
        let rows = try await postgres.query("SELECT * FROM filestore_system.webhook_stats()", logger: logger)
        for try await c in rows.decode((Double, Int64, Int64, Int64).self) {
            return WebhookStats(oldestUndeliveredAge: c.0, pending: Int(c.1), dead: Int(c.2), disabledEndpoints: Int(c.3))
        }
        return WebhookStats(oldestUndeliveredAge: 0, pending: 0, dead: 0, disabledEndpoints: 0)
    }
}
