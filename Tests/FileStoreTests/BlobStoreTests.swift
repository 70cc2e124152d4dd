import Crypto
import Domain
import Foundation
import NIOCore
import Storage
import Testing

/// A blob backend under test: how to open a fresh, empty store of it. A new backend adds itself to `all`
/// and runs every conformance test below.
struct BlobBackend: Sendable, CustomTestStringConvertible {
    var name: String
    var open: @Sendable () throws -> (store: any BlobStore, cleanup: @Sendable () -> Void)

    var testDescription: String { name }

    static let local = BlobBackend(name: "local") {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID())")
        return (try LocalBlobStore(root: root), { try? FileManager.default.removeItem(at: root) })
    }

    /// Data residency's router over two local stores, every tenant in region `eu` (the contract must hold through it).
    static let regional = BlobBackend(name: "regional") {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-regional-\(UUID())")
        let stores: [String: any BlobStore] = ["eu": try LocalBlobStore(root: root.appendingPathComponent("eu")),
                                               "us": try LocalBlobStore(root: root.appendingPathComponent("us"))]
        return (RegionalBlobStore(stores: stores) { _ in "eu" }, { try? FileManager.default.removeItem(at: root) })
    }

    static let all: [BlobBackend] = [.local, .regional]
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

func collect(_ stream: AsyncThrowingStream<ByteBuffer, any Error>) async throws -> [UInt8] {
    var out: [UInt8] = []
    for try await chunk in stream { out += Array(buffer: chunk) }
    return out
}

/// The blob-store contract, run against every backend.
@Suite struct BlobStoreConformanceTests {
    let tenant = try! TenantID("acme")

    @Test(arguments: BlobBackend.all)
    func writesHashesReadsRangesAndDeletes(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        let data = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let info = try await blobs.put(key, body: chunks(data, size: 65_536))
        #expect(info.size == 1_000_000)
        #expect(info.sha256 == SHA256.hash(data: data).hexString)
        #expect(try await blobs.size(of: key) == 1_000_000)
        #expect(try await collect(blobs.read(key, range: 10..<300_010)) == Array(data[10..<300_010]))
        try await blobs.delete(key)
        #expect(try await blobs.size(of: key) == nil)
        try await blobs.delete(key) // idempotent
    }

    @Test(arguments: BlobBackend.all)
    func aBodyOverTheLimitStoresNothing(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        await #expect(throws: BlobTooLarge.self) {
            try await TenantBlobs(tenant: tenant, store: store).put(key, body: chunks(Array(repeating: 1, count: 5000), size: 1000), limit: 4096)
        }
        #expect(try await store.size(of: key) == nil)
    }

    @Test(arguments: BlobBackend.all)
    func aStoreOpenedForOneTenantRefusesAnothersKeys(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let acme = TenantBlobs(tenant: tenant, store: store)
        let otherKey = try ObjectKey(tenant: TenantID("globex"), file: PrefixedID(.file))
        let error = await #expect(throws: FileError.self) { try await acme.put(otherKey, body: chunks([1, 2, 3], size: 3)) }
        #expect(error?.code == .invalidObjectKey)
        await #expect(throws: FileError.self) { try await acme.read(otherKey) }
        await #expect(throws: FileError.self) { try await acme.delete(otherKey) }
        await #expect(throws: FileError.self) { try await acme.deleteFolder(of: otherKey) }
        await #expect(throws: FileError.self) { try await acme.withLocalFile(otherKey) { _ in 0 } }
        #expect(try await store.size(of: otherKey) == nil)
    }

    @Test(arguments: BlobBackend.all)
    func readingAMissingBlobIsAClearError(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let error = await #expect(throws: FileError.self) {
            try await TenantBlobs(tenant: tenant, store: store).read(ObjectKey(tenant: tenant, file: PrefixedID(.file)))
        }
        #expect(error?.code == .blobMissing)
    }

    @Test(arguments: BlobBackend.all)
    func deletingAFoldersPrefixRemovesThatFileOnly(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let file = PrefixedID(.file), other = PrefixedID(.file)
        let keys = try ["original", "thumb", "stale-variant"].map { try ObjectKey(tenant: tenant, file: file, name: $0) }
        let kept = try ObjectKey(tenant: tenant, file: other)
        for key in keys + [kept] { _ = try await blobs.put(key, body: chunks([1, 2, 3], size: 3)) }
        try await blobs.deleteFolder(of: keys[0])
        for key in keys { #expect(try await store.size(of: key) == nil) }
        #expect(try await store.size(of: kept) == 3)
        try await blobs.deleteFolder(of: keys[0]) // idempotent
        await #expect(throws: FileError.self) { try await store.deleteAll(prefix: "tenants/acme/../") }
    }

    @Test(arguments: BlobBackend.all)
    func listingAPrefixShowsItsObjectsWithSizesAndNothingElse(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let file = PrefixedID(.file), other = PrefixedID(.file)
        let keys = try [ObjectKey(tenant: tenant, file: file), ObjectKey(tenant: tenant, file: file, name: "thumb"), ObjectKey(tenant: tenant, file: other)]
        for (i, key) in keys.enumerated() { _ = try await blobs.put(key, body: chunks(Array(repeating: 7, count: 100 * (i + 1)), size: 64)) }
        let foreign = try ObjectKey(tenant: TenantID("globex"), file: PrefixedID(.file))
        _ = try await store.put(foreign, body: chunks([1], size: 1), limit: nil)
        // A staged upload part is no object.
        _ = try await blobs.putPart(upload: PrefixedID(.upload), at: 0, body: chunks([1, 2, 3], size: 3), limit: nil, checksum: nil)
        let before = Date().addingTimeInterval(-300)
        var listed: [String: Int64] = [:]
        for try await item in store.list(prefix: ObjectKey.prefix(of: tenant)) {
            listed[item.key] = item.size
            #expect(item.modified > before && item.modified < Date().addingTimeInterval(300), "\(item)")
        }
        #expect(listed == [keys[0].path: 100, keys[1].path: 200, keys[2].path: 300])
        var folder: Set<String> = []
        for try await item in store.list(prefix: keys[0].folder) { folder.insert(item.key) }
        #expect(folder == [keys[0].path, keys[1].path])
        var none = 0
        for try await _ in store.list(prefix: "tenants/nobody/") { none += 1 }
        #expect(none == 0)
    }

    @Test(arguments: BlobBackend.all)
    func nativeEnginesGetALocalCopyAndTheirOutputIsImported(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let file = PrefixedID(.file)
        let key = try ObjectKey(tenant: tenant, file: file)
        _ = try await blobs.put(key, body: chunks(Array("hello".utf8), size: 2))
        let read = try await blobs.withLocalFile(key) { path in try Data(contentsOf: URL(fileURLWithPath: path)) }
        #expect(Array(read) == Array("hello".utf8))
        // A produced file is written to a scratch path, then imported under a key.
        let scratch = blobs.scratchPath(suffix: ".webp")
        #expect(scratch.hasSuffix(".webp"))
        try Data("variant".utf8).write(to: URL(fileURLWithPath: scratch))
        let variant = try ObjectKey(tenant: tenant, file: file, name: "thumb")
        let info = try await blobs.importFile(scratch, as: variant)
        #expect(info.size == 7 && info.sha256 == SHA256.hash(data: Data("variant".utf8)).hexString)
        #expect(try await collect(blobs.read(variant)) == Array("variant".utf8))
        #expect(!FileManager.default.fileExists(atPath: scratch))
    }

    @Test(arguments: BlobBackend.all)
    func uploadPartsComposeIntoTheFileAndAreDropped(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let upload = PrefixedID(.upload)
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var offset: Int64 = 0
        for range in [0..<4000, 4000..<4001, 4001..<10_000] {
            let bytes = Array(data[range])
            let checksum = ChunkChecksum(algorithm: .sha256, digest: Data(SHA256.hash(data: bytes)))
            offset += try await blobs.putPart(upload: upload, at: offset, body: chunks(bytes, size: 1000), limit: 10_000 - offset, checksum: checksum)
        }
        #expect(offset == 10_000)
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        let info = try await blobs.composeParts(upload: upload, length: offset, to: key)
        #expect(info.size == 10_000 && info.sha256 == SHA256.hash(data: data).hexString)
        #expect(try await collect(blobs.read(key)) == data)
        // The parts are gone: composing again finds nothing.
        await #expect(throws: FileError.self) { try await blobs.composeParts(upload: upload, length: 10_000, to: key) }
    }

    @Test(arguments: BlobBackend.all)
    func aPartThatFailsItsChecksumOrLimitCountsForNothing(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let upload = PrefixedID(.upload)
        #expect(try await blobs.putPart(upload: upload, at: 0, body: chunks([1, 2, 3], size: 3), limit: 10, checksum: nil) == 3)
        let wrong = ChunkChecksum(algorithm: .sha1, digest: Data(Insecure.SHA1.hash(data: [9])))
        await #expect(throws: ChunkChecksumMismatch.self) {
            try await blobs.putPart(upload: upload, at: 3, body: chunks([4, 5], size: 2), limit: 7, checksum: wrong)
        }
        await #expect(throws: BlobTooLarge.self) {
            try await blobs.putPart(upload: upload, at: 3, body: chunks(Array(repeating: 6, count: 8), size: 4), limit: 7, checksum: nil)
        }
        // Only the first part counts: three bytes compose, five do not.
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        await #expect(throws: FileError.self) { try await blobs.composeParts(upload: upload, length: 5, to: key) }
        #expect(try await blobs.composeParts(upload: upload, length: 3, to: key).size == 3)
        #expect(try await collect(blobs.read(key)) == [1, 2, 3])
    }

    @Test(arguments: BlobBackend.all)
    func aClientThatGoesAwayMidChunkKeepsWhatArrivedUnlessItSentAChecksum(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        struct Disconnected: Error {}
        func broken() -> AsyncThrowingStream<ByteBuffer, any Error> {
            AsyncThrowingStream { c in
                c.yield(ByteBuffer(bytes: [1, 2, 3, 4]))
                c.finish(throwing: Disconnected())
            }
        }
        let upload = PrefixedID(.upload)
        #expect(try await blobs.putPart(upload: upload, at: 0, body: broken(), limit: nil, checksum: nil) == 4)
        let checksum = ChunkChecksum(algorithm: .sha256, digest: Data(SHA256.hash(data: [1, 2, 3, 4, 5])))
        await #expect(throws: Disconnected.self) { try await blobs.putPart(upload: upload, at: 4, body: broken(), limit: nil, checksum: checksum) }
        // A part stored again at the same offset replaces the earlier one.
        #expect(try await blobs.putPart(upload: upload, at: 4, body: chunks([5, 6], size: 2), limit: nil, checksum: nil) == 2)
        #expect(try await blobs.putPart(upload: upload, at: 4, body: chunks([7], size: 1), limit: nil, checksum: nil) == 1)
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        #expect(try await blobs.composeParts(upload: upload, length: 5, to: key).size == 5)
        #expect(try await collect(blobs.read(key)) == [1, 2, 3, 4, 7])
    }

    @Test(arguments: BlobBackend.all)
    func terminationDropsEveryPart(_ backend: BlobBackend) async throws {
        let (store, cleanup) = try backend.open()
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let upload = PrefixedID(.upload)
        _ = try await blobs.putPart(upload: upload, at: 0, body: chunks([1, 2], size: 2), limit: nil, checksum: nil)
        _ = try await blobs.putPart(upload: upload, at: 2, body: chunks([3], size: 1), limit: nil, checksum: nil)
        try await blobs.deletePartial(upload: upload)
        try await blobs.deletePartial(upload: upload) // idempotent
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        await #expect(throws: FileError.self) { try await blobs.composeParts(upload: upload, length: 3, to: key) }
    }
}

/// What only the local backend promises: temporary files never outlive a write, and its own sha-256 agrees
/// with the system tool's.
@Suite struct LocalBlobStoreTests {
    func makeStore() throws -> (LocalBlobStore, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID())")
        return (try LocalBlobStore(root: root), root)
    }

    @Test func hashesAsTheSystemToolDoesAndLeavesNoTemporaryFiles() async throws {
        let (store, root) = try makeStore()
        defer { try? FileManager.default.removeItem(at: root) }
        let tenant = try TenantID("acme")
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        let data = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let info = try await blobs.put(key, body: chunks(data, size: 65_536))
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
        // No temporary files are left behind, by a write or by one over the limit.
        await #expect(throws: BlobTooLarge.self) {
            try await blobs.put(ObjectKey(tenant: tenant, file: PrefixedID(.file)), body: chunks(Array(repeating: 1, count: 5000), size: 1000), limit: 4096)
        }
        let upload = PrefixedID(.upload)
        _ = try await blobs.putPart(upload: upload, at: 0, body: chunks([1, 2, 3], size: 3), limit: nil, checksum: nil)
        _ = try await blobs.composeParts(upload: upload, length: 3, to: ObjectKey(tenant: tenant, file: PrefixedID(.file)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(".tmp").path).isEmpty)
    }
}
