import ArgumentParser
import Domain
import FileCore
import FilestoreConfig
import Foundation
import JobKit
import Storage

/// Operator commands on webhook endpoints: `reseal` seals their signing secrets with the current encryption key
/// (`FILESTORE_ENCRYPTION_KEYS`, docs/SECURITY.md "Secrets at rest").
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "webhooks", abstract: "Webhook endpoints: re-seal their signing secrets.",
                                                    subcommands: [Reseal.self])

    struct Reseal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal every endpoint's signing secret with the first FILESTORE_ENCRYPTION_KEYS key (unsealed rows, rows of an older key).",
            discussion: "Run it after configuring keys for the first time and after putting a new key first; then an old key may be removed.")
        @OptionGroup var db: DatabaseOptions
        @Option(help: "Only this tenant (default: every tenant).") var tenant: String?
        @Flag(help: "Only count the endpoints that would change.") var dryRun = false
        @Flag(help: "Print JSON for scripts.") var json = false

        struct Output: Encodable { var tenants: Int, endpoints: Int, dry_run: Bool, key_id: String }

        func run() async throws {
            let configuration = try FilestoreConfiguration.fromProcessEnvironment(flags: db.flags)
            guard !configuration.keys.encryption.isEmpty else {
                throw CLIError("no encryption keys: set FILESTORE_ENCRYPTION_KEYS=kid=secret (32+ bytes) or FILESTORE_ENCRYPTION_KEYS_FILE")
            }
            var tenants: [TenantID]
            if let tenant {
                do { tenants = [try TenantID(tenant)] } catch { throw ValidationError("invalid tenant '\(tenant)'") }
            } else {
                tenants = try await allTenants(configuration.database)
            }
            let blobs = try makeBlobStore(configuration.blobs)
            var core = FileCoreConfiguration()
            core.secretSealer = SecretSealer(configuration.keys.encryption.map(\.pair))
            let coreConfiguration = core
            let (dryRun, list) = (dryRun, tenants)
            let changed = try await withJobClient(configuration.database) { client in
                let files = FileCore(database: TenantDatabase(postgres: client.postgres, logger: client.logger), blobs: blobs,
                                     configuration: coreConfiguration)
                var total = 0
                for t in list {
                    do { total += try await files.webhooks.resealSecrets(tenant: t, dryRun: dryRun) } catch let error as SecretSealerError {
                        throw CLIError("tenant \(t.value): \(error.message)")
                    }
                }
                return total
            }
            let key = configuration.keys.encryption[0].kid
            if json { try printJSON(Output(tenants: tenants.count, endpoints: changed, dry_run: dryRun, key_id: key)); return }
            print(dryRun ? "would seal \(changed) endpoints' secrets with key '\(key)' (\(tenants.count) tenants)"
                         : "sealed \(changed) endpoints' secrets with key '\(key)' (\(tenants.count) tenants)")
        }
    }
}
