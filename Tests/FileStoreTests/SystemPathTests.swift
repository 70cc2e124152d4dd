import Domain
import FileCore
import Foundation
import JobKit
import PostgresNIO
import Storage
import TestSupport
import Testing

/// The system path (migration 0008): what `filestore_system` may do across tenants, and that the request path
/// (`filestore_app`) can neither use it nor read across tenants.
@Suite struct SystemPathTests {
    static let functions = ["filestore_system.tenants", "filestore_system.tenants_with_expired_uploads",
                            "filestore_system.tenants_with_expired_idempotency_keys",
                            // The webhook relay's (migration 0012).
                            "filestore_system.tenants_with_webhook_work", "filestore_system.webhook_stats",
                            // Compliance's (migration 0013).
                            "filestore_system.tenants_with_expired_retention", "filestore_system.tenants_with_unsealed_audit",
                            "filestore_system.erasure_stats"]
    /// A call of `function` with arguments of its signature.
    static func call(_ function: String) -> String {
        switch function {
        case "filestore_system.tenants_with_webhook_work": "SELECT \(function)(NULL, 10, interval '0')"
        case "filestore_system.webhook_stats": "SELECT * FROM \(function)()"
        case "filestore_system.erasure_stats": "SELECT * FROM \(function)(interval '5 days')"
        default: "SELECT \(function)(NULL, 10)"
        }
    }

    /// The SQLSTATE `query` fails with on `postgres`, or nil when it succeeds.
    static func sqlState(_ postgres: PostgresClient, _ query: PostgresQuery) async -> String? {
        do {
            for try await _ in try await postgres.query(query, logger: TestDatabase.logger) {}
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.sqlState] ?? "\(error)"
        } catch {
            return "\(error)"
        }
    }

    @Test func theSystemRoleListsTenantsAndFindsExpiredWorkAcrossTenants() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme"), beta = try await f.tenant("beta"), gamma = try await f.tenant("gamma")
            _ = try await f.tenant("delta")
            try await f.upload(acme, expiresIn: -60)
            try await f.upload(beta, expiresIn: 3600)
            try await f.upload(gamma, expiresIn: -60, leasedFor: 600)
            try await f.upload(gamma, expiresIn: -60, completed: true)
            try await f.key(beta, "old", expiresIn: -1)
            try await f.key(gamma, "fresh", expiresIn: 3600)

            let all = try await f.system.tenants(limit: 100).map(\.value)
            #expect(all == ["acme", "beta", "delta", "gamma"])
            // Keyset pages in id order.
            #expect(try await f.system.tenants(limit: 2).map(\.value) == ["acme", "beta"])
            #expect(try await f.system.tenants(after: beta, limit: 2).map(\.value) == ["delta", "gamma"])
            #expect(try await f.system.tenants(after: gamma, limit: 2).isEmpty)
            // Only acme's upload is abandoned: beta's is live, gamma's is leased or completed.
            #expect(try await f.system.tenantsWithExpiredUploads(limit: 100) == [acme])
            #expect(try await f.system.tenantsWithExpiredUploads(after: acme, limit: 100).isEmpty)
            #expect(try await f.system.tenantsWithExpiredIdempotencyKeys(limit: 100) == [beta])
            // The role is what the brief says: it logs in, is no superuser and cannot bypass RLS.
            let rows = try await f.system.postgres.query("SELECT current_user::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            for try await (user, superuser, bypass) in rows.decode((String, Bool, Bool).self) {
                #expect(user == SystemDatabase.roleName)
                #expect(!superuser && !bypass)
            }
        }
    }

    @Test func theSystemRoleCannotTouchAnyTableDirectly() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme")
            try await f.upload(acme, expiresIn: -60)
            try await f.key(acme, "old", expiresIn: -60)
            let tables = try await TenantIsolationTests.tenantTables(f.env.postgres) + ["jobkit.jobs", "jobkit.leaders", "schema_migrations"]
            #expect(tables.contains("uploads") && tables.contains("idempotency_keys"))
            let system = f.system.postgres
            for table in tables {
                #expect(await Self.sqlState(system, PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")) == "42501",
                        "filestore_system must not read \(table)")
            }
            #expect(await Self.sqlState(system, "DELETE FROM uploads") == "42501")
            #expect(await Self.sqlState(system, "DELETE FROM idempotency_keys") == "42501")
            #expect(await Self.sqlState(system, "INSERT INTO tenants (id, name) VALUES ('evil', 'evil')") == "42501")
            // Setting a tenant does not help: the role has no table rights at all.
            #expect(await Self.sqlState(system, "SELECT count(*) FROM (SELECT set_config('app.tenant_id', 'acme', false)) s, uploads") == "42501")
            // Nor can it make functions of its own in the system schema.
            #expect(await Self.sqlState(system, "CREATE FUNCTION filestore_system.x() RETURNS int LANGUAGE sql AS 'SELECT 1'") == "42501")
            // The functions are SECURITY DEFINER, pin their search_path and are executable by the system role only.
            let rows = try await f.env.postgres.query("""
                SELECT p.proname::text, p.prosecdef, coalesce(array_to_string(p.proconfig, ','), ''),
                       has_function_privilege('filestore_app', p.oid, 'EXECUTE'), has_function_privilege('filestore_system', p.oid, 'EXECUTE')
                FROM pg_proc p WHERE p.pronamespace = 'filestore_system'::regnamespace ORDER BY 1
                """)
            var names: [String] = []
            for try await (name, definer, config, app, sys) in rows.decode((String, Bool, String, Bool, Bool).self) {
                names.append(name)
                #expect(definer, "\(name) is SECURITY DEFINER")
                #expect(config.contains("search_path=pg_catalog, pg_temp"), "\(name) pins search_path: \(config)")
                #expect(!app, "filestore_app must not execute \(name)")
                #expect(sys, "filestore_system executes \(name)")
            }
            #expect(names == Self.functions.map { String($0.split(separator: ".")[1]) }.sorted())
        }
    }

    @Test func theRequestPathCannotUseTheSystemFunctions() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme")
            try await f.upload(acme, expiresIn: -60)
            for function in Self.functions {
                #expect(await Self.sqlState(f.app, PostgresQuery(unsafeSQL: Self.call(function))) == "42501",
                        "filestore_app must not execute \(function)")
                // Not even inside a tenant's transaction.
                await #expect(throws: (any Error).self) {
                    try await f.database.transaction(acme) { tx in
                        try await tx.query(PostgresQuery(unsafeSQL: Self.call(function)), logger: TestDatabase.logger)
                    }
                }
            }
            // The owner's own sessions stay confined too: the cross-tenant policies serve the system role only.
            #expect(try await f.env.scalar("SELECT count(*)::int8 FROM uploads", as: Int64.self) == 0)
            #expect(try await f.env.scalar("SELECT count(*)::int8 FROM tenants", as: Int64.self) == 0)
        }
    }

    @Test func theRequestPathStillCannotReadAcrossTenants() async throws {
        try await SweepFixture.with { f in
            let acme = try await f.tenant("acme"), beta = try await f.tenant("beta")
            let upload = try await f.upload(acme, expiresIn: -60)
            try await f.key(acme, "a-key", expiresIn: -60)
            // In acme's transaction the rows are there; in beta's, and with no tenant set, they are not.
            #expect(try await f.uploads(acme) == [upload.description])
            #expect(try await f.keys(acme) == ["a-key"])
            #expect(try await f.uploads(beta).isEmpty)
            #expect(try await f.keys(beta).isEmpty)
            let tenantsSeenByBeta = try await f.database.transaction(beta) { tx in
                var ids: [String] = []
                for try await id in try await tx.query("SELECT id FROM tenants", logger: TestDatabase.logger).decode(String.self) { ids.append(id) }
                return ids
            }
            #expect(tenantsSeenByBeta == ["beta"])
            for table in ["uploads", "idempotency_keys", "tenants"] {
                let rows = try await f.app.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"))
                for try await n in rows.decode(Int64.self) { #expect(n == 0, "\(table) visible to filestore_app with no tenant set") }
            }
            // Beta's sweep cannot reach acme's rows either.
            let deleted = try await f.core.tus.sweepExpired(tenant: beta, limit: 100)
            #expect(deleted == 0)
            #expect(try await f.uploads(acme) == [upload.description])
        }
    }
}
