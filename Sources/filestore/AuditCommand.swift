import ArgumentParser
import Domain
import FileCore
import FilestoreConfig
import Foundation
import JobKit
import PostgresNIO
import Storage

/// The tamper-evident audit log: verify its hash chains, export a tenant's events as verifiable JSON lines.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Verify and export the hash-chained audit log.",
                                                    subcommands: [Verify.self, Export.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the audit chain of one tenant (or of every tenant) and name the first broken row; exit 1 if one is broken.",
            discussion: "With --file, verifies an export (`filestore audit export`) offline instead, without a database.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The tenant; default: every tenant.") var tenant: String?
        @Option(help: "Verify this export file (JSON lines) instead of the database.") var file: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        func run() async throws {
            if let file {
                let report = try Self.verifyExport(path: file)
                try print(report: [report], json: json)
                if !report.ok { throw ExitCode(1) }
                return
            }
            let configuration = try FilestoreConfiguration.fromProcessEnvironment(flags: db.flags)
            let compliance = try complianceConfiguration(configuration)
            let one = try tenant.map { text -> TenantID in
                do { return try TenantID(text) } catch { throw ValidationError("invalid tenant '\(text)'") }
            }
            let blobs = try makeBlobStore(configuration.blobs)
            let reports: [AuditChain.Report] = try await withJobClient(configuration.database) { client in
                var core = FileCoreConfiguration()
                core.compliance = compliance
                let files = FileCore(database: TenantDatabase(postgres: client.postgres, logger: client.logger),
                                     blobs: blobs, configuration: core)
                let tenants: [TenantID]
                if let one { tenants = [one] } else { tenants = try await allTenants(configuration.database) }
                var out: [AuditChain.Report] = []
                for t in tenants { out.append(try await files.audit.verify(tenant: t).chain) }
                return out
            }
            try print(report: reports, json: json)
            if reports.contains(where: { !$0.ok }) { throw ExitCode(1) }
        }

        func print(report: [AuditChain.Report], json: Bool) throws {
            if json { try printJSON(report); return }
            for r in report {
                if let broken = r.brokenAt {
                    Swift.print("\(r.tenant): BROKEN at \(broken) after \(r.rows - 1) good rows: \(r.problem ?? "")")
                } else {
                    Swift.print("\(r.tenant): ok, \(r.rows) rows, head \(r.lastChainSeq ?? 0) \(r.lastHash?.prefix(16) ?? "")")
                }
            }
        }

        /// Walks an export: the first line anchors the chain (its own `prev_hash`), every later one must follow.
        static func verifyExport(path: String) throws -> AuditChain.Report {
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            var walker: AuditChain.Walker?
            for (n, line) in lines.enumerated() {
                guard let row = try? JSONDecoder().decode(AuditChainRow.self, from: Data(line.utf8)) else {
                    throw CLIError("\(path):\(n + 1): not an audit event line")
                }
                if walker == nil { walker = AuditChain.Walker(tenant: row.tenant_id, start: nil) }
                if !walker!.check(row) { break }
            }
            return walker?.report ?? AuditChain.Report(tenant: "", rows: 0)
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a tenant's sealed audit events, in chain order, as JSON lines that `audit verify --file` checks.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "Only events at or after this time (ISO 8601).") var since: String?
        @Option(help: "The format: jsonl.") var format = "jsonl"
        @Option(help: "Write to this file instead of standard output.") var output: String?

        func run() async throws {
            guard format == "jsonl" else { throw ValidationError("--format must be jsonl") }
            let tenantID: TenantID
            do { tenantID = try TenantID(tenant) } catch { throw ValidationError("invalid tenant '\(tenant)'") }
            let sinceDate = try since.map { text -> Date in
                guard let d = try? Date(text, strategy: .iso8601) else { throw ValidationError("--since must be an ISO 8601 time, e.g. 2026-01-01T00:00:00Z") }
                return d
            }
            let configuration = try FilestoreConfiguration.fromProcessEnvironment(flags: db.flags)
            let handle: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil), let h = FileHandle(forWritingAtPath: output) else {
                    throw CLIError("cannot write \(output)")
                }
                handle = h
            } else {
                handle = .standardOutput
            }
            let blobs = try makeBlobStore(configuration.blobs)
            let count = try await withJobClient(configuration.database) { client in
                let core = FileCore(database: TenantDatabase(postgres: client.postgres, logger: client.logger), blobs: blobs)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                return try await core.audit.export(tenant: tenantID, since: sinceDate) { row in
                    var line = try encoder.encode(row)
                    line.append(0x0A)
                    handle.write(line)
                }
            }
            if output != nil { FileHandle.standardError.write(Data("exported \(count) events\n".utf8)) }
        }
    }
}

/// Every tenant, through the system path (the service role sees one tenant at a time).
func allTenants(_ database: FilestoreConfiguration.Database) async throws -> [TenantID] {
    var background = makeLogger("filestore.postgres")
    background.logLevel = .error
    let postgres = PostgresClient(configuration: database.system.clientConfiguration, backgroundLogger: background)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await postgres.run() }
        defer { group.cancelAll() }
        let system = SystemDatabase(postgres: postgres, logger: makeLogger("filestore.cli"))
        var out: [TenantID] = []
        while true {
            let page = try await system.tenants(after: out.last, limit: 1000)
            out += page
            if page.count < 1000 { return out }
        }
    }
}
