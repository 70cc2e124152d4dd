import Domain
import FileCore
import Foundation
import PostgresNIO
import Storage
import TestSupport
import Testing

/// The compliance guards of migration 0013, tried as an attacker would: plain SQL as the service's role
/// (`filestore_app`) and as the owner, not only through the application's code paths.
@Suite struct ComplianceGuardTests {
    /// Runs `sql` in a transaction of tenant `acme` on `postgres`; returns the SQLSTATE it failed with, or nil.
    static func attempt(_ postgres: PostgresClient, _ sql: String) async -> String? {
        do {
            try await postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                // One statement per query (the extended protocol takes no more).
                for statement in sql.components(separatedBy: ";\n") {
                    try await tx.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger)
                }
            }
            return nil
        } catch let error as PostgresTransactionError {
            return (error.closureError as? PSQLError)?.serverInfo?[.sqlState] ?? "commit failed"
        } catch {
            return (error as? PSQLError)?.serverInfo?[.sqlState] ?? "\(error)"
        }
    }

    /// A count as tenant `acme`.
    static func count(_ postgres: PostgresClient, _ sql: String) async throws -> Int {
        try await postgres.withTransaction(logger: TestDatabase.logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
            for try await n in try await tx.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(Int64.self) { return Int(n) }
            return 0
        }
    }

    static func file(_ postgres: PostgresClient, state: String = "ready", retainUntil: String? = nil, hold: String? = nil) async throws -> String {
        let id = PrefixedID(.file).description
        let until = retainUntil.map { "now() + interval '\($0)'" } ?? "NULL"
        let reason = hold.map { "'\($0)'" } ?? "NULL"
        #expect(await attempt(postgres, """
            INSERT INTO tenants (id, name) VALUES ('acme', 'Acme') ON CONFLICT DO NOTHING;
            INSERT INTO files (id, tenant_id, state, object_key, retention_class, retain_until, legal_hold_reason)
            VALUES ('\(id)', 'acme', '\(state)', 'tenants/acme/files/\(id)/original', 'tax_invoice', \(until), \(reason))
            """) == nil)
        return id
    }

    @Test func aRetainUntilDateOnlyMovesLaterAndARetainedOrHeldFileCannotBeDeletedByAnyRole() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                let retained = try await Self.file(env.postgres, retainUntil: "10 years")
                // Shortening, clearing, deleting the row, moving it to deleted or erased: refused for the service role.
                for sql in ["UPDATE files SET retain_until = now() + interval '1 day' WHERE id = '\(retained)'",
                            "UPDATE files SET retain_until = NULL WHERE id = '\(retained)'",
                            "DELETE FROM files WHERE id = '\(retained)'",
                            "UPDATE files SET state = 'deleted' WHERE id = '\(retained)'",
                            "UPDATE files SET state = 'erased' WHERE id = '\(retained)'"] {
                    #expect(await Self.attempt(app, sql) == "FSR01", "\(sql)")
                    // …and for the owner, who is subject to the trigger too.
                    #expect(await Self.attempt(env.postgres, sql) == "FSR01", "owner: \(sql)")
                }
                // Extending is allowed.
                #expect(await Self.attempt(app, "UPDATE files SET retain_until = retain_until + interval '1 year' WHERE id = '\(retained)'") == nil)
                // A legal hold refuses deletion whatever the retention.
                let held = try await Self.file(env.postgres, hold: "litigation 2026-17")
                for sql in ["DELETE FROM files WHERE id = '\(held)'", "UPDATE files SET state = 'deleted' WHERE id = '\(held)'"] {
                    #expect(await Self.attempt(app, sql) == "FSH01", "\(sql)")
                }
                // Lifted, an unretained file may go.
                #expect(await Self.attempt(app, "UPDATE files SET legal_hold_reason = NULL WHERE id = '\(held)'") == nil)
                #expect(await Self.attempt(app, "UPDATE files SET state = 'deleted' WHERE id = '\(held)'") == nil)
                // Expired retention no longer protects.
                let expired = try await Self.file(env.postgres, retainUntil: "-1 day")
                #expect(await Self.attempt(app, "UPDATE files SET state = 'deleted' WHERE id = '\(expired)'") == nil)
                // Through the application layer the refusal is a clean domain error (409 RETAINED at the API).
                let core = FileCore(database: TenantDatabase(postgres: app, logger: TestDatabase.logger),
                                    blobs: try LocalBlobStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("g-\(UUID())")))
                let identity = Identity(subject: "s", tenant: try TenantID("acme"), scopes: [.filesWrite])
                await #expect { try await core.files.delete(PrefixedID(parsing: retained, as: .file)!, as: identity, requestID: nil, traceContext: nil) }
                    throws: { ($0 as? FileError)?.code == .retained }
            }
        }
    }

    @Test func theAuditLogIsAppendOnlyForEveryRoleAndKeptSevenYears() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                let id = PrefixedID(.audit).description
                #expect(await Self.attempt(env.postgres, """
                    INSERT INTO tenants (id, name) VALUES ('acme', 'Acme');
                    INSERT INTO audit_events (id, tenant_id, actor, action, subject_id) VALUES ('\(id)', 'acme', 'alice', 'file.uploaded', 'med_x')
                    """) == nil)
                // Content never changes, rows younger than 7 years are never deleted, the table is never truncated.
                for (client, who) in [(app, "app"), (env.postgres, "owner")] {
                    #expect(await Self.attempt(client, "UPDATE audit_events SET action = 'file.nothing' WHERE id = '\(id)'") != nil, "\(who)")
                    #expect(await Self.attempt(client, "DELETE FROM audit_events WHERE id = '\(id)'") != nil, "\(who)")
                    #expect(await Self.attempt(client, "TRUNCATE audit_events") != nil, "\(who)")
                }
                #expect(await Self.attempt(env.postgres, "UPDATE audit_events SET details = '{\"x\": 1}' WHERE id = '\(id)'") == "FSA01")
                #expect(await Self.attempt(env.postgres, "DELETE FROM audit_events WHERE id = '\(id)'") == "FSA01")
                #expect(await Self.attempt(env.postgres, "TRUNCATE audit_events") == "FSA01")
                // An unsealed row's actor cannot be redacted (it must be sealed first, so the chain covers its digest).
                #expect(await Self.attempt(app, "UPDATE audit_events SET actor = NULL WHERE id = '\(id)'") == "FSA01")
                // Sealing sets the chain fields once; a second sealing, or changing the hash, is refused.
                let seal = "UPDATE audit_events SET actor_digest = 'd', chain_seq = 1, prev_hash = 'p', hash = 'h' WHERE id = '\(id)'"
                #expect(await Self.attempt(app, seal) == nil)
                #expect(await Self.attempt(app, "UPDATE audit_events SET hash = 'h2' WHERE id = '\(id)'") == "FSA01")
                #expect(await Self.attempt(app, "UPDATE audit_events SET actor = 'mallory' WHERE id = '\(id)'") == "FSA01")
                // A sealed row's actor may be redacted, and only that.
                #expect(await Self.attempt(app, "UPDATE audit_events SET actor = NULL WHERE id = '\(id)'") == nil)
                let redacted = try await Self.count(env.postgres, "SELECT count(*) FROM audit_events WHERE actor IS NULL AND hash = 'h'")
                #expect(redacted == 1)
            }
        }
    }
}
