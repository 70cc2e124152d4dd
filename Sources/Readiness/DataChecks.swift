import Domain
import Foundation
import JobKit
import Storage

/// The data rows (DA1–DA5, D4): asked of the live database's catalog.
enum DataChecks {
    /// DA1: every migration this build knows is applied, none is ahead, and no applied one was edited since.
    static func migrations(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let applied = try await env.catalog.appliedMigrations()
        let required = env.configuration.requiredSchemaVersion
        var evidence = ["query: SELECT version, checksum FROM public.schema_migrations → \(applied.count) rows, highest \(applied.keys.max() ?? 0); this build needs \(required)"]
        var failed = false
        let missing = (1...max(required, 1)).filter { applied[$0] == nil }
        if !missing.isEmpty { failed = true; evidence.append("not applied: \(missing.map(String.init).joined(separator: ", ")) (run `filestore migrate`)") }
        let ahead = applied.keys.filter { $0 > required }.sorted()
        if !ahead.isEmpty { failed = true; evidence.append("ahead of this build: \(ahead.map(String.init).joined(separator: ", "))") }
        let folder = env.file("migrations")
        if let files = try? Migrator.load(directory: folder) {
            let known = JobKitSchema.migrations + files
            let edited = known.filter { m in applied[m.version].map { $0 != m.checksum } ?? false }.map { "\($0.version)_\($0.name)" }
            if edited.isEmpty {
                evidence.append("checksums of \(known.count) migrations (JobKit's + \(folder.path)) equal the applied ones")
            } else {
                failed = true
                evidence.append("applied migrations edited afterwards (checksum differs from \(folder.path)): \(edited.joined(separator: ", "))")
            }
            let unapplied = known.filter { applied[$0.version] == nil }.map { "\($0.version)_\($0.name)" }
            if !unapplied.isEmpty { failed = true; evidence.append("in the repository but not applied: \(unapplied.joined(separator: ", "))") }
        } else {
            evidence.append("no migrations folder at \(folder.path): checksums not compared")
        }
        return CheckOutcome(failed ? .fail : .pass, evidence)
    }

    /// DA2: row-level security enabled and forced, with a policy, on every table with a tenant column.
    static func rowLevelSecurity(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let tables = try await env.catalog.tenantTables()
        let exempt = try await env.catalog.exemptions("rls")
        var evidence = ["query: pg_class × pg_attribute × pg_constraint × pg_policy (tables with a tenant_id column or a foreign key to public.tenants) → \(tables.count) tables"]
        var bad: [String] = []
        for t in tables {
            if let reason = exempt[t.name] {
                evidence.append("\(t.name): exempt by design (readiness.exemptions): \(reason)")
                continue
            }
            var problems: [String] = []
            if !t.rlsEnabled { problems.append("RLS not enabled") }
            if !t.rlsForced { problems.append("RLS not forced") }
            if t.policies == 0 { problems.append("no policy") }
            if problems.isEmpty { continue }
            bad.append(t.name)
            evidence.append("\(t.name) (\(t.because)): \(problems.joined(separator: ", "))")
        }
        let checked = tables.filter { exempt[$0.name] == nil }
        if bad.isEmpty {
            evidence.append("enabled, forced and with a policy: \(checked.map(\.name).joined(separator: ", "))")
        }
        for relation in exempt.keys.sorted() where !tables.contains(where: { $0.name == relation }) {
            evidence.append("exemption for \(relation) names no tenant table (stale exemption)")
        }
        if tables.isEmpty { return CheckOutcome(.fail, evidence + ["no tenant table found: is this the product's database?"]) }
        return CheckOutcome(bad.isEmpty ? .pass : .fail, evidence)
    }

    /// DA3: every text `id` column has a CHECK that holds its prefix (`^med_…`, the prefixes of `IDKind`); generated
    /// numeric ids carry none by type.
    static func idPrefixes(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let columns = try await env.catalog.idColumns()
        let exempt = try await env.catalog.exemptions("id_prefix")
        let prefixes = Set(IDKind.allCases.map(\.rawValue))
        var evidence = ["query: pg_attribute × pg_constraint (columns named id, their CHECK constraints) → \(columns.count) columns"]
        var ok: [String] = [], numeric: [String] = [], bad: [String] = []
        let pattern = try Regex(#"\^([a-z]{2,8})_"#)
        for c in columns {
            if let reason = exempt[c.table] { evidence.append("\(c.table).id: exempt by design (readiness.exemptions): \(reason)"); continue }
            if ["bigint", "integer", "smallint", "uuid"].contains(c.type) { numeric.append(c.table); continue }
            let found = c.checks.compactMap { def in def.firstMatch(of: pattern).map { String(def[$0.range]).dropFirst().dropLast() } }
            if let prefix = found.first {
                ok.append("\(c.table) (\(prefix)_\(prefixes.contains(String(prefix)) ? "" : ", not an IDKind prefix"))")
            } else {
                bad.append(c.table)
                evidence.append("\(c.table).id (\(c.type)): no CHECK holding an id prefix (checks: \(c.checks.isEmpty ? "none" : c.checks.joined(separator: "; ")))")
            }
        }
        evidence.append("prefix CHECK present: \(ok.joined(separator: ", "))")
        if !numeric.isEmpty { evidence.append("generated numeric ids (no prefix by type): \(numeric.joined(separator: ", "))") }
        return CheckOutcome(bad.isEmpty && !ok.isEmpty ? .pass : .fail, evidence)
    }

    /// D4 (database layer): every table with an `object_key` has a CHECK tying the key to the tenant's prefix.
    static func tenantPrefix(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let checks = try await env.catalog.objectKeyChecks()
        var evidence = ["query: pg_constraint of tables with an object_key column → \(checks.count) tables"]
        var bad = 0
        for (table, defs) in checks.sorted(by: { $0.key < $1.key }) {
            if defs.contains(where: { $0.contains("'tenants/'") && $0.contains("tenant_id") }) {
                evidence.append("\(table): object_key CHECK within 'tenants/' || tenant_id")
            } else {
                bad += 1
                evidence.append("\(table): no CHECK tying object_key to the tenant prefix")
            }
        }
        return CheckOutcome(bad == 0 && !checks.isEmpty ? .pass : .fail, evidence)
    }

    /// DA4: the plan of each hot query (``HotQueries``) reads through an index.
    static func hotQueryIndexes(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        var evidence: [String] = ["EXPLAIN (FORMAT JSON) of each hot query, as the service role in a tenant's transaction, enable_seqscan = off"]
        var bad = 0
        for q in HotQueries.all {
            let plan = try await env.catalog.explain(q.sql, tenant: env.configuration.operationsTenant)
            let nodes = PlanNodes(json: plan)
            if nodes.sequentialScans.isEmpty {
                evidence.append("\(q.name): \(nodes.summary)")
            } else {
                bad += 1
                evidence.append("\(q.name): sequential scan of \(nodes.sequentialScans.joined(separator: ", ")) — \(q.sql)")
            }
        }
        return CheckOutcome(bad == 0 ? .pass : .fail, evidence)
    }

    /// DA5: WAL archiving configured and working, when it is configured; else not applicable, saying so.
    static func backups(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let s = try await env.catalog.settings(["archive_mode", "archive_command", "archive_library", "archive_timeout", "wal_level"])
        let mode = s["archive_mode"] ?? "off"
        let command = s["archive_command"] ?? ""
        let library = s["archive_library"] ?? ""
        let shown = "query: pg_settings → archive_mode=\(mode), archive_command=\(command.isEmpty ? "''" : "set"), archive_library=\(library.isEmpty ? "''" : library), wal_level=\(s["wal_level"] ?? "?")"
        guard mode != "off" else {
            return .notApplicable(shown, "WAL archiving is not configured on this server (archive_mode=off): no point-in-time recovery; backups are the operator's (docs/DEPLOYMENT.md)")
        }
        guard !command.isEmpty || !library.isEmpty else {
            return .fail(shown, "archive_mode is \(mode) but neither archive_command nor archive_library is set: WAL segments pile up")
        }
        let a = try await env.catalog.archiver()
        let archived = "query: pg_stat_archiver → archived_count=\(a.archivedCount), last archived \(a.lastArchivedAge.map { "\(Int($0)) s ago" } ?? "never"), failed_count=\(a.failedCount)"
        let timeout = Double(s["archive_timeout"] ?? "0") ?? 0
        let maxAge = max(3600, timeout * 2)
        if let failedAge = a.lastFailedAge, failedAge < (a.lastArchivedAge ?? .infinity) {
            return .fail(shown, archived, "the last archive attempt failed (\(Int(failedAge)) s ago) after the last success")
        }
        guard let age = a.lastArchivedAge, age <= maxAge else {
            return .fail(shown, archived, "no WAL segment archived within \(Int(maxAge)) s")
        }
        return .pass(shown, archived)
    }
}
