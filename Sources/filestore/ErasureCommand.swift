import ArgumentParser
import Domain
import FileCore
import FilestoreConfig
import Foundation
import Storage

/// Erasure receipts: verify one offline.
struct ErasureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "erasure", abstract: "Erasure receipts.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify an erasure receipt offline: its Ed25519 signature, and that the readable receipt is what was signed.",
            discussion: """
                RECEIPT is a file holding the receipt document (the `receipt` member of GET /v1/erasure-requests/{id}, or that \
                whole response). Trust comes from the key: pass the published keys (GET /v1/compliance/receipt-keys, saved to a \
                file) with --keys, or a key with --public-key; without either, the key the receipt names is used and a warning says \
                to compare it with the published one. Exit 0: verified; 1: it does not verify.
                """)
        @Argument(help: "The receipt file (JSON).") var receipt: String
        @Option(help: "A file with the published keys ({\"keys\": [{\"key_id\", \"public_key\"}]}).") var keys: String?
        @Option(help: "A trusted public key: KEY_ID=BASE64.") var publicKey: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        struct PublishedKeys: Decodable { var keys: [ComplianceKeys.PublishedKey] }
        struct Wrapped: Decodable { var receipt: ErasureReceipt }

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: receipt) else { throw CLIError("cannot read \(receipt)") }
            let document: ErasureReceipt
            if let d = try? JSONDecoder().decode(ErasureReceipt.self, from: data) {
                document = d
            } else if let w = try? JSONDecoder().decode(Wrapped.self, from: data) {
                document = w.receipt
            } else {
                throw CLIError("\(receipt) holds no erasure receipt (receipt + signature)")
            }
            var trusted: [String: String]?
            if let keys {
                guard let k = FileManager.default.contents(atPath: keys), let list = try? JSONDecoder().decode(PublishedKeys.self, from: k) else {
                    throw CLIError("cannot read the published keys from \(keys)")
                }
                trusted = Dictionary(list.keys.map { ($0.key_id, $0.public_key) }, uniquingKeysWith: { a, _ in a })
            }
            if let publicKey {
                let parts = publicKey.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--public-key is KEY_ID=BASE64") }
                trusted = (trusted ?? [:]).merging([parts[0]: parts[1]]) { _, b in b }
            }
            do {
                try document.verify(trustedKeys: trusted)
            } catch {
                if json { try printJSON(VerifyOutput(verified: false, request_id: document.receipt.request_id, problem: "\(error)")) }
                else { FileHandle.standardError.write(Data("NOT VERIFIED: \(error)\n".utf8)) }
                throw ExitCode(1)
            }
            if json {
                try printJSON(VerifyOutput(verified: true, request_id: document.receipt.request_id, problem: nil))
                return
            }
            if trusted == nil {
                FileHandle.standardError.write(Data("warning: verified with the key the receipt names (\(document.signature.key_id)); compare it with GET /v1/compliance/receipt-keys or pass --keys\n".utf8))
            }
            let r = document.receipt
            print("verified: \(r.request_id) (\(r.state)) for subject hash \(r.subject_hash.prefix(16))…, signed by \(document.signature.key_id)")
            print("\(r.items.count) items in \(r.stores.count) stores; \(r.exceptions.count) kept with a legal basis")
        }

        struct VerifyOutput: Encodable { var verified: Bool; var request_id: String; var problem: String? }
    }
}

/// Tenants: offboarding.
struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tenants", abstract: "Tenant offboarding.", subcommands: [Delete.self])

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Offboard a tenant: record an erasure of everything it has (held and retained files kept), run by the workers, with a signed receipt.")
        @OptionGroup var db: DatabaseOptions
        @Argument(help: "The tenant id.") var tenant: String
        @Option(help: "Why (kept in the receipt and the audit log).") var reason: String
        @Option(help: "A reference (ticket, contract); the same reference again returns the first request.") var reference: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        func run() async throws {
            let tenantID: TenantID
            do { tenantID = try TenantID(tenant) } catch { throw ValidationError("invalid tenant '\(tenant)'") }
            let configuration = try FilestoreConfiguration.fromProcessEnvironment(flags: db.flags)
            var coreConfiguration = FileCoreConfiguration()
            coreConfiguration.compliance = try complianceConfiguration(configuration)
            let core = coreConfiguration
            let blobs = try makeBlobStore(configuration.blobs)
            let (request, created) = try await withJobClient(configuration.database) { client in
                let files = FileCore(database: TenantDatabase(postgres: client.postgres, logger: client.logger), blobs: blobs, configuration: core)
                do { return try await files.erasure.offboard(tenant: tenantID, reason: reason, reference: reference, source: "cli") }
                catch let error as FileError { throw CLIError(error.description) }
            }
            if json { try printJSON(Output(request_id: request.id.description, state: request.state.rawValue, created: created)); return }
            print("\(created ? "recorded" : "already recorded") \(request.id) for tenant \(tenantID): \(request.state.rawValue); GET /v1/erasure-requests/\(request.id) shows its receipt when done")
        }

        struct Output: Encodable { var request_id: String; var state: String; var created: Bool }
    }
}
