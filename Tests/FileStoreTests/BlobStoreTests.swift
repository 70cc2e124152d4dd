import Domain
import Foundation
import NIOCore
import Storage
import Testing

@Suite struct LocalBlobStoreTests {
    func makeStore() throws -> (LocalBlobStore, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID())")
        return (try LocalBlobStore(root: root), root)
    }

    func chunks(_ data: [UInt8], size: Int) -> AsyncStream<ByteBuffer> {
        AsyncStream { c in
            var i = 0
            while i < data.count {
                c.yield(ByteBuffer(bytes: data[i..<min(i + size, data.count)]))
                i += size
            }
            c.finish()
        }
    }

    @Test func writesAtomicallyHashesAndReadsRanges() async throws {
        let (store, root) = try makeStore()
        defer { try? FileManager.default.removeItem(at: root) }
        let tenant = try TenantID("acme")
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        let data = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let info = try await blobs.put(key, body: chunks(data, size: 65_536))
        #expect(info.size == 1_000_000)
        // sha256 of the same bytes, computed independently by the system tool.
        let tmp = root.appendingPathComponent("check.bin")
        try Data(data).write(to: tmp)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [tmp.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let expected = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
        #expect(info.sha256 == String(expected))
        #expect(try await blobs.size(of: key) == 1_000_000)
        var read: [UInt8] = []
        for try await chunk in try await blobs.read(key, range: 10..<300_010) { read += Array(buffer: chunk) }
        #expect(read == Array(data[10..<300_010]))
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(".tmp").path).isEmpty)
        try await blobs.delete(key)
        #expect(try await blobs.size(of: key) == nil)
        try await blobs.delete(key) // idempotent
    }

    @Test func aBodyOverTheLimitStoresNothing() async throws {
        let (store, root) = try makeStore()
        defer { try? FileManager.default.removeItem(at: root) }
        let tenant = try TenantID("acme")
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        await #expect(throws: BlobTooLarge.self) {
            try await TenantBlobs(tenant: tenant, store: store).put(key, body: chunks(Array(repeating: 1, count: 5000), size: 1000), limit: 4096)
        }
        #expect(try await store.size(of: key) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(".tmp").path).isEmpty)
    }

    @Test func aStoreOpenedForOneTenantRefusesAnothersKeys() async throws {
        let (store, root) = try makeStore()
        defer { try? FileManager.default.removeItem(at: root) }
        let acme = TenantBlobs(tenant: try TenantID("acme"), store: store)
        let otherKey = try ObjectKey(tenant: TenantID("globex"), file: PrefixedID(.file))
        let error = await #expect(throws: FileError.self) { try await acme.put(otherKey, body: chunks([1, 2, 3], size: 3)) }
        #expect(error?.code == .invalidObjectKey)
        await #expect(throws: FileError.self) { try await acme.read(otherKey) }
        await #expect(throws: FileError.self) { try await acme.delete(otherKey) }
        #expect(try await store.size(of: otherKey) == nil)
    }

    @Test func readingAMissingBlobIsAClearError() async throws {
        let (store, root) = try makeStore()
        defer { try? FileManager.default.removeItem(at: root) }
        let tenant = try TenantID("acme")
        let error = await #expect(throws: FileError.self) {
            try await TenantBlobs(tenant: tenant, store: store).read(ObjectKey(tenant: tenant, file: PrefixedID(.file)))
        }
        #expect(error?.code == .blobMissing)
    }
}
