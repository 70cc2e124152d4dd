import API
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobKit
import Jobs
import NIOCore
import PostgresNIO
import Scanning
import Imaging
import Storage
import Synchronization
import TestSupport
import Testing

/// Data residency with two local stores: each tenant's bytes — originals, variants, staged tus parts — land only in
/// its region's store, and a tenant of a region without a store is refused before a byte is written.
@Suite struct ResidencyTests {
    @Test func aTenantsBytesNeverLeaveItsRegionsStore() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("residency-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let photo = [UInt8](try await Data(contentsOf: ImagingTests.photo(in: work, as: "jpg")))
        try await TestDatabase.with { (env: TestEnv) async throws in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                let database = TenantDatabase(postgres: app, logger: TestDatabase.logger)
                // The tenants and their regions, as the platform provisions them.
                try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                    for (tenant, region) in [("eu-co", "eu"), ("us-co", "us"), ("apac-co", "apac")] {
                        try await tx.query("SELECT set_config('app.tenant_id', \(tenant), true)", logger: TestDatabase.logger)
                        try await tx.query("INSERT INTO tenants (id, name, region) VALUES (\(tenant), \(tenant), \(region))", logger: TestDatabase.logger)
                    }
                }
                let eu = work.appendingPathComponent("eu"), us = work.appendingPathComponent("us"), local = work.appendingPathComponent("local")
                let lookups = LookupCounter()
                let store = RegionalBlobStore(stores: ["eu": try LocalBlobStore(root: eu), "us": try LocalBlobStore(root: us),
                                                       "local": try LocalBlobStore(root: local)]) { tenant in
                    lookups.add()
                    return try await database.transaction(tenant) { try await TenantRepository(logger: TestDatabase.logger).region(tenant, on: $0) }
                }
                let core = FileCore(database: database, blobs: store)
                let optimize = OptimizeWorker(images: try ImageProcessor(maxPixels: 50_000_000), core: core)
                var ids: [String: [PrefixedID]] = [:]
                for tenant in ["eu-co", "us-co"] {
                    let who = Identity(subject: "u", tenant: try TenantID(tenant), scopes: [.filesRead, .filesWrite])
                    let file = try await core.uploads.upload(AsyncStream { $0.yield(ByteBuffer(bytes: photo)); $0.finish() }, as: who, .init(originalName: "p.jpg"))
                    // A staged, unfinished tus upload.
                    let upload = try await core.tus.create(identity: who, length: 100, metadata: [:])
                    _ = try await core.tus.append(identity: who, id: upload.id, offset: 0, declaredLength: nil,
                                                  body: AsyncStream { $0.yield(ByteBuffer(repeating: 7, count: 40)); $0.finish() }, checksum: nil,
                                                  requestID: nil, traceContext: nil)
                    ids[tenant] = [file.id, upload.id]
                }
                // The optimizer writes variants through the same store (scratch files included).
                var registry = JobRegistry()
                registry.register(ScanWorker(scanner: try await ClamAVEngine.load(directory: try ClamAVTests.signatureDirectory()), core: core))
                registry.register(optimize)
                try await env.withWorker(registry, TestEnv.fastWorker(queues: [.init("scan"), .init("optimize")])) { (_: JobWorkerService) async throws in
                    try await eventually("both photos ready", timeout: .seconds(60)) {
                        var ready = 0
                        for tenant in ["eu-co", "us-co"] {
                            let who = Identity(subject: "u", tenant: try TenantID(tenant), scopes: [.filesRead])
                            if try await core.files.get(ids[tenant]![0], as: who).state == .ready { ready += 1 }
                        }
                        return ready == 2
                    }
                }
                func files(_ root: URL) -> [String] {
                    (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).filter {
                        var dir: ObjCBool = false
                        return FileManager.default.fileExists(atPath: root.appendingPathComponent($0).path, isDirectory: &dir) && !dir.boolValue
                    }
                }
                let inEU = files(eu), inUS = files(us)
                // Each store holds its own tenant's original, variants and staged parts, and nothing of the other's.
                #expect(inEU.contains { $0.contains(ids["eu-co"]![0].description) && $0.hasSuffix("original") })
                #expect(inEU.filter { $0.contains(ids["eu-co"]![0].description) }.count >= 3, "original and variants: \(inEU)")
                #expect(inEU.contains { $0.contains(ids["eu-co"]![1].description) }, "staged parts: \(inEU)")
                #expect(!inEU.contains { $0.contains("us-co") } && !inUS.contains { $0.contains("eu-co") })
                #expect(inUS.contains { $0.contains(ids["us-co"]![0].description) } && inUS.contains { $0.contains(ids["us-co"]![1].description) })
                #expect(files(local).filter { $0.contains("tenants/") }.isEmpty, "nothing in the default store: \(files(local))")
                // A region without a store: refused before any byte is written, anywhere.
                let apac = Identity(subject: "u", tenant: try TenantID("apac-co"), scopes: [.filesWrite])
                await #expect { _ = try await core.uploads.upload(AsyncStream { $0.yield(ByteBuffer(string: "x")); $0.finish() }, as: apac, .init()) }
                    throws: { ($0 as? FileError)?.code == .regionUnavailable }
                for root in [eu, us, local] { #expect(!files(root).contains { $0.contains("apac-co") }) }
                // The region is read once per tenant, not per request.
                #expect(lookups.value <= 3)
            }
        }
    }
}

final class LookupCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
