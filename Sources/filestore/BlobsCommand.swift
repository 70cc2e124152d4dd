import ArgumentParser
import Domain
import FileCore
import FilestoreConfig
import Foundation
import JobKit
import Storage

/// `filestore blobs check`: do the rows and the blob store agree (after a point-in-time restore, or an incident)?
/// Lists files whose bytes are missing and objects no row knows; `--repair` marks the first deleted (audited) and
/// removes the second (`runbooks/backup-restore.md`).
struct BlobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "blobs", abstract: "The blob store against the rows: check and repair.",
                                                    subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List files whose blobs are missing and objects no file row knows; exit 3 when any is found (0 once repaired).",
            discussion: """
                With --repair: a file whose original is missing is marked deleted (audited, file.deleted.v1, its purge \
                enqueued; retention and legal hold still refuse it), and orphan folders older than --grace are removed.
                """)
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Only this tenant (default: every tenant).") var tenant: String?
        @Flag(help: "Repair what the check finds.") var repair = false
        @Option(help: "Objects younger than this many seconds are uploads in flight, never orphans.") var grace: Double = 3600
        @Flag(help: "Print JSON for scripts.") var json = false

        struct Output: Encodable {
            var tenant: String, files: Int, objects: Int, missing: [String], orphans: [String], young_objects: Int
            var marked_deleted: [String], refused: [String: String], removed_objects: Int
        }

        func run() async throws {
            guard grace >= 0, grace.isFinite else { throw ValidationError("--grace is a number of seconds, 0 or more") }
            let configuration = try FilestoreConfiguration.fromProcessEnvironment(flags: db.flags)
            var tenants: [TenantID]
            if let tenant {
                do { tenants = [try TenantID(tenant)] } catch { throw ValidationError("invalid tenant '\(tenant)'") }
            } else {
                tenants = try await allTenants(configuration.database)
            }
            let (repair, grace, list) = (repair, grace, tenants)
            let reports = try await withJobClient(configuration.database) { client in
                let blobs = try makeBlobStore(configuration.blobs, postgres: client.postgres)
                let core = FileCore(database: TenantDatabase(postgres: client.postgres, logger: client.logger), blobs: blobs)
                var out: [BlobAudit.Report] = []
                for t in list { out.append(try await core.blobAudit.check(tenant: t, repair: repair, grace: grace)) }
                return out
            }
            if json {
                try printJSON(reports.map { Output(tenant: $0.tenant, files: $0.files, objects: $0.objects, missing: $0.missing, orphans: $0.orphans,
                                                   young_objects: $0.young, marked_deleted: $0.markedDeleted, refused: $0.refused,
                                                   removed_objects: $0.removed) })
            } else {
                for r in reports {
                    print("\(r.tenant): \(r.files) files, \(r.objects) objects, \(r.missing.count) missing, \(r.orphans.count) orphans"
                          + (r.young > 0 ? ", \(r.young) objects of uploads in flight left alone" : ""))
                    for key in r.missing { print("  missing  \(key)") }
                    for key in r.orphans { print("  orphan   \(key)") }
                    if repair {
                        print("  repaired: \(r.markedDeleted.count) files marked deleted, \(r.removed) orphan objects removed")
                        for (id, why) in r.refused.sorted(by: { $0.key < $1.key }) { print("  refused  \(id): \(why)") }
                    }
                }
            }
            let unrepaired = reports.contains { r in
                repair ? !r.refused.isEmpty || r.missing.contains { !$0.hasSuffix("/original") && !r.markedDeleted.contains(where: $0.contains) }
                    : !r.consistent
            }
            if unrepaired { throw ExitCode(3) }
        }
    }
}
