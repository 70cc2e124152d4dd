import Domain
import Foundation
import JobKit
import PostgresNIO
import TestSupport
import Testing

/// Row-level security, checked as the service's own role against the real database.
@Suite struct TenantIsolationTests {
    /// Every table with a tenant column (found from the catalogue, so a new table cannot be forgotten).
    static func tenantTables(_ postgres: PostgresClient) async throws -> [String] {
        var tables: [String] = []
        let rows = try await postgres.query("""
            SELECT c.table_name FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
            ORDER BY 1
            """)
        for try await t in rows.decode(String.self) { tables.append(t) }
        return tables + ["tenants"]
    }

    static func seed(_ postgres: PostgresClient, tenant: String) async throws {
        let file = PrefixedID(.file).description
        try await postgres.withTransaction(logger: TestDatabase.logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', \(tenant), true)", logger: TestDatabase.logger)
            try await tx.query("INSERT INTO tenants (id, name) VALUES (\(tenant), \(tenant))", logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO files (id, tenant_id, state, object_key) VALUES (\(file), \(tenant), 'uploaded', 'tenants/' || \(tenant) || '/files/' || \(file) || '/original')
                """, logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO uploads (id, tenant_id, file_id, length, expires_at) VALUES (\(PrefixedID(.upload).description), \(tenant), \(file), 10, now() + interval '1 day')
                """, logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO audit_events (id, tenant_id, actor, action, subject_id) VALUES (\(PrefixedID(.audit).description), \(tenant), 'test', 'file.uploaded', \(file))
                """, logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO outbox_events (id, tenant_id, topic, aggregate_id, payload) VALUES (\(PrefixedID(.event).description), \(tenant), 'file.uploaded.v1', \(file), '{}')
                """, logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO idempotency_keys (tenant_id, key, request_hash, status, expires_at) VALUES (\(tenant), 'k-1', 'h', 201, now() + interval '1 day')
                """, logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO file_variants (tenant_id, file_id, name, object_key, content_type, size, sha256)
                VALUES (\(tenant), \(file), 'thumb', 'tenants/' || \(tenant) || '/files/' || \(file) || '/thumb', 'image/webp', 1, repeat('a', 64))
                """, logger: TestDatabase.logger)
            // Webhooks and the inbox (migration 0012).
            let endpoint = PrefixedID(.webhook).description, event = PrefixedID(.event).description
            try await tx.query("""
                INSERT INTO webhook_endpoints (id, tenant_id, url, topics, secret) VALUES (\(endpoint), \(tenant), 'https://example.com/hook', '{file.*}', 'whsec_x')
                """, logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, topic, aggregate_id, seq) VALUES (\(tenant), \(endpoint), \(event), 'file.uploaded.v1', \(file), 1)
                """, logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO webhook_attempts (tenant_id, endpoint_id, event_id, topic, attempt, latency_ms, outcome) VALUES (\(tenant), \(endpoint), \(event), 'file.uploaded.v1', 1, 5, 'retry')
                """, logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO inbox_events (source, event_id, tenant_id, topic) VALUES ('billing', \(event), \(tenant), 'tenant.plan_changed.v1')
                """, logger: TestDatabase.logger)
            // Compliance (migration 0013).
            let request = PrefixedID(.erasure).description
            try await tx.query("INSERT INTO file_subjects (tenant_id, file_id, subject_id, role) VALUES (\(tenant), \(file), 'person-1', 'uploader')",
                               logger: TestDatabase.logger)
            try await tx.query("INSERT INTO retention_classes (tenant_id, name, duration_months) VALUES (\(tenant), 'short', 1)", logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO erasure_requests (id, tenant_id, subject_id, subject_hash, reason, source, requested_by, due_at)
                VALUES (\(request), \(tenant), 'person-1', 'h', 'r', 'api', 'dpo', now() + interval '30 days')
                """, logger: TestDatabase.logger)
            try await tx.query("""
                INSERT INTO erasure_items (request_id, tenant_id, store, item, method, verification) VALUES (\(request), \(tenant), 's', 'i', 'deleted', 'v')
                """, logger: TestDatabase.logger)
            try await tx.query("INSERT INTO audit_chain_heads (tenant_id, chain_seq, hash) VALUES (\(tenant), 0, 'h')", logger: TestDatabase.logger)
        }
    }

    @Test func theServiceRoleSeesOnlyItsTenantInEveryTenantTable() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let tables = try await Self.tenantTables(env.postgres)
            #expect(Set(tables).isSuperset(of: ["tenants", "files", "uploads", "audit_events", "outbox_events", "idempotency_keys", "file_variants"]))
            // Every tenant table has RLS enabled and forced.
            for table in tables {
                let flags = try await env.scalar("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = \(table)::regclass", as: Bool.self)
                #expect(flags == true, "\(table) must ENABLE and FORCE row-level security")
            }
            let app = TestDatabase.appRole(env.config)
            try await TestDatabase.withClient(app) { postgres in
                // The role owns nothing, is no superuser and cannot bypass RLS.
                let role = try await postgres.query("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
                for try await (superuser, bypass) in role.decode((Bool, Bool).self) { #expect(!superuser && !bypass) }
                for table in tables {
                    for try await owner in try await postgres.query("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = \(table)::regclass").decode(String.self) {
                        #expect(owner != app.username)
                    }
                }
                try await Self.seed(postgres, tenant: "acme")
                try await Self.seed(postgres, tenant: "globex")
                for tenant in ["acme", "globex"] {
                    try await postgres.withTransaction(logger: TestDatabase.logger) { tx in
                        try await tx.query("SELECT set_config('app.tenant_id', \(tenant), true)", logger: TestDatabase.logger)
                        for table in tables {
                            let column = table == "tenants" ? "id" : "tenant_id"
                            var mine = 0, others = 0
                            for try await (m, o) in try await tx.query(PostgresQuery(unsafeSQL:
                                "SELECT count(*) FILTER (WHERE \(column) = '\(tenant)'), count(*) FILTER (WHERE \(column) <> '\(tenant)') FROM \(table)"), logger: TestDatabase.logger).decode((Int64, Int64).self) {
                                (mine, others) = (Int(m), Int(o))
                            }
                            #expect(mine >= 1, "\(table) shows \(tenant) its own rows")
                            #expect(others == 0, "\(table) leaks another tenant's rows to \(tenant)")
                        }
                    }
                }
                // Without a tenant set, nothing is visible; writing another tenant's row is refused.
                for table in tables {
                    let n = try await postgres.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"))
                    for try await c in n.decode(Int64.self) { #expect(c == 0, "\(table) visible without a tenant") }
                }
                await #expect(throws: (any Error).self) {
                    try await postgres.withTransaction(logger: TestDatabase.logger) { tx in
                        try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                        try await tx.query("INSERT INTO audit_events (id, tenant_id, actor, action, subject_id) VALUES (\(PrefixedID(.audit).description), 'globex', 'x', 'y', 'z')", logger: TestDatabase.logger)
                    }
                }
            }
        }
    }

    @Test func theDatabaseHoldsIDPrefixesAndTheTenantKeyPrefix() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            /// Runs one statement as tenant acme; returns the SQLSTATE it failed with, or nil.
            func asAcme(_ query: PostgresQuery) async throws -> String? {
                do {
                    try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                        try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                        try await tx.query(query, logger: TestDatabase.logger)
                    }
                    return nil
                } catch let error as PostgresTransactionError {
                    return (error.closureError as? PSQLError)?.serverInfo?[.sqlState]
                }
            }
            #expect(try await asAcme("INSERT INTO tenants (id, name) VALUES ('acme', 'Acme')") == nil)
            let upl = PrefixedID(.upload).description, med = PrefixedID(.file).description
            // A file id with the wrong prefix, and a key outside the tenant's prefix: check_violation (23514).
            #expect(try await asAcme("INSERT INTO files (id, tenant_id, object_key) VALUES (\(upl), 'acme', 'tenants/acme/files/' || \(upl) || '/original')") == "23514")
            #expect(try await asAcme("INSERT INTO files (id, tenant_id, object_key) VALUES (\(med), 'acme', 'tenants/globex/files/' || \(med) || '/original')") == "23514")
            #expect(try await asAcme("INSERT INTO files (id, tenant_id, object_key) VALUES (\(med), 'acme', 'tenants/acme/files/' || \(med) || '/original')") == nil)
            // Even the owner sees nothing without a tenant: RLS is forced.
            #expect(try await env.scalar("SELECT count(*)::int8 FROM files", as: Int64.self) == 0)
        }
    }
}
