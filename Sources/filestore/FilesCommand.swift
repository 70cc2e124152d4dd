import ArgumentParser
import Domain
import FileCore
import FilestoreConfig
import Foundation
import JobKit
import Storage

/// Operator commands on files (compliance overrides), acting inside one tenant.
struct FilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "files", abstract: "Compliance overrides of quarantined files.",
                                                    subcommands: [Release.self, Confirm.self])

    struct Override: ParsableArguments {
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "The file id (med_…).") var id: String
        @Option(help: "The tenant the file belongs to.") var tenant: String
        @Option(help: "Why (required; kept in the audit log).") var reason: String
        @Option(help: "Who decides (kept in the audit log).") var actor = "operator"
        @Flag(help: "Print JSON for scripts.") var json = false

        func run(release: Bool) async throws {
            guard let fileID = PrefixedID(parsing: id, as: .file) else { throw ValidationError("'\(id)' is not a file id (med_…)") }
            let tenantID: TenantID
            do { tenantID = try TenantID(tenant) } catch { throw ValidationError("invalid tenant '\(tenant)'") }
            let configuration = try FilestoreConfiguration.fromProcessEnvironment(flags: db.flags)
            let blobs = try makeBlobStore(configuration.blobs)
            let file = try await withJobClient(configuration.database) { client in
                let core = FileCore(database: TenantDatabase(postgres: client.postgres, logger: client.logger), blobs: blobs)
                do {
                    return try await core.quarantine.resolve(fileID, release: release, reason: reason, actor: "cli:\(actor)",
                                                             tenant: tenantID, requestID: nil, traceContext: nil)
                } catch let error as FileError { throw CLIError(error.description) }
            }
            if json { try printJSON(FileOverrideOutput(action: release ? "released" : "confirmed", fileID: "\(file.id)", state: file.state.rawValue)); return }
            print("\(release ? "released" : "confirmed") \(file.id): now \(file.state.rawValue)")
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release a quarantined file (a false positive): it becomes clean.")
        @OptionGroup var options: Override
        func run() async throws { try await options.run(release: true) }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Confirm a quarantine: the file is deleted and its bytes purged.")
        @OptionGroup var options: Override
        func run() async throws { try await options.run(release: false) }
    }
}
