import Domain
import FileCore
import Foundation
import PostgresNIO
import Storage
import TestSupport
import Testing

/// `filestore blobs check`: rows against the real blob store, as after a point-in-time restore of the database —
/// a file whose bytes are gone, objects no row knows (old ones, and an upload in flight) — and the repair.
@Suite struct BlobAuditTests {
    static let writer = Identity(subject: "tester", tenant: try! TenantID("acme"), scopes: [.filesWrite, .filesRead])

    @Test func missingOriginalsAndOrphansAreFoundAndRepairedWhileUploadsInFlightAreLeftAlone() async throws {
        try await TestDatabase.with { env in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("blob-audit-\(UUID())")
                defer { try? FileManager.default.removeItem(at: root) }
                let core = FileCore(database: TenantDatabase(postgres: app, logger: TestDatabase.logger), blobs: try LocalBlobStore(root: root))
                var ids: [PrefixedID] = []
                for i in 0..<4 {
                    let bytes = Array("blob audit \(i) ".utf8) + Array(repeating: UInt8(i), count: 5000)
                    ids.append(try await core.uploads.upload(chunks(bytes, size: 1000), as: Self.writer, Uploads.Request(originalName: "f\(i).bin")).id)
                }
                var clean = try await core.blobAudit.check(tenant: Self.writer.tenant, repair: false, grace: 0)
                #expect(clean.consistent && clean.files == 4 && clean.objects == 4, "\(clean)")

                // The restore's view: file 0's bytes are gone; two folders of files no row knows, one old, one fresh.
                let lost = try ObjectKey(tenant: Self.writer.tenant, file: ids[0])
                try FileManager.default.removeItem(at: root.appendingPathComponent(lost.path))
                let oldOrphan = try ObjectKey(tenant: Self.writer.tenant, file: PrefixedID(.file))
                let youngOrphan = try ObjectKey(tenant: Self.writer.tenant, file: PrefixedID(.file), name: "thumb")
                for key in [oldOrphan, youngOrphan] {
                    _ = try await core.blobs.put(key, body: chunks(Array("orphan".utf8), size: 6), limit: nil)
                }
                let hourAgo = Date().addingTimeInterval(-7200).timeIntervalSince1970
                var times = [timespec(tv_sec: Int(hourAgo), tv_nsec: 0), timespec(tv_sec: Int(hourAgo), tv_nsec: 0)]
                #expect(utimensat(AT_FDCWD, root.appendingPathComponent(oldOrphan.path).path, &times, 0) == 0)

                let found = try await core.blobAudit.check(tenant: Self.writer.tenant, repair: false, grace: 3600)
                #expect(found.missing == [lost.path])
                #expect(found.orphans == [oldOrphan.path])
                #expect(found.young == 1, "the fresh object is an upload in flight, not an orphan")
                #expect(!found.consistent)
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(oldOrphan.path).path), "a check alone changes nothing")

                let repaired = try await core.blobAudit.check(tenant: Self.writer.tenant, repair: true, grace: 3600)
                #expect(repaired.markedDeleted == [ids[0].description] && repaired.removed == 1 && repaired.refused.isEmpty)
                #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent(oldOrphan.folder).path))
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(youngOrphan.path).path))
                #expect(try await core.files.get(ids[0], as: Self.writer).state == .deleted)
                let audited = try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                    try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                    var n: Int64 = 0
                    for try await c in try await tx.query("""
                        SELECT count(*) FROM audit_events WHERE subject_id = \(ids[0].description) AND action = 'file.deleted'
                          AND actor = 'filestore blobs check' AND details->>'reason' = 'original blob missing'
                        """, logger: TestDatabase.logger).decode(Int64.self) { n = c }
                    return n
                }
                #expect(audited == 1)
                for id in ids.dropFirst() { #expect(try await core.files.get(id, as: Self.writer).state != .deleted) }

                clean = try await core.blobAudit.check(tenant: Self.writer.tenant, repair: false, grace: 3600)
                #expect(clean.consistent && clean.young == 1, "\(clean)")
            }
        }
    }
}
