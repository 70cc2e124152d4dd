import Crypto
import Domain
import Foundation
import NIOCore
import Jobs
@testable import Storage
import Testing

/// What only the S3 backend promises, against the tests' Ceph RADOS Gateway (the shared contract runs on it in
/// `BlobStoreConformanceTests`): large objects streamed as multipart uploads in bounded memory, ranged reads across
/// parts, delete-by-prefix past one listing page, and a store that is down or refuses us failing as
/// `STORAGE_FAILURE` (503 in the API), never as anything else.
@Suite(.enabled(if: S3TestEnvironment.isConfigured, S3TestEnvironment.skipReason))
struct S3BlobStoreTests {
    let tenant = try! TenantID("acme")

    /// `count` bytes in 1 MiB chunks, made as they are consumed (never all in memory): a random block, each chunk
    /// stamped with its index so no two parts are alike. The expected SHA-256 is computed on the side.
    static func generated(_ count: Int, hasher: SHA256Box) -> AsyncStream<ByteBuffer> {
        var g = SystemRandomNumberGenerator()
        let block = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &g) }
        let state = CounterBox()
        return AsyncStream(unfolding: {
            let sent = state.value
            guard sent < count else { return nil }
            var bytes = block[0..<min(block.count, count - sent)]
            var chunk = ByteBuffer(bytes: bytes)
            chunk.setInteger(UInt64(sent), at: 0)
            bytes = ArraySlice(chunk.readableBytesView)
            hasher.update(bytes)
            state.value += chunk.readableBytes
            return chunk
        })
    }

    final class CounterBox: @unchecked Sendable { var value = 0 }
    /// Chunks of another stream re-cut to `length` bytes (the last shorter), pulled as they are asked for.
    final class IteratorBox: @unchecked Sendable {
        var iterator: AsyncStream<ByteBuffer>.Iterator
        var pending = ByteBuffer()
        var ended = false
        init(_ iterator: AsyncStream<ByteBuffer>.Iterator) { self.iterator = iterator }
        func next(length: Int) async -> ByteBuffer? {
            while !ended, pending.readableBytes < length {
                guard var chunk = await iterator.next() else { ended = true; break }
                pending.writeBuffer(&chunk)
            }
            guard pending.readableBytes > 0 else { return nil }
            let out = pending.readSlice(length: min(length, pending.readableBytes))
            pending.discardReadBytes()
            return out
        }
    }
    final class SHA256Box: @unchecked Sendable {
        var hasher = SHA256()
        func update(_ bytes: ArraySlice<UInt8>) { hasher.update(data: bytes) }
        var hex: String { hasher.finalize().hexString }
    }

    static func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }

    @Test func aLargeObjectIsStreamedAsAMultipartUploadInBoundedMemoryAndReadsBackWhole() async throws {
        var configuration = S3TestEnvironment.configuration()
        configuration.partSize = 16 << 20
        let (store, cleanup) = try S3TestEnvironment.open(configuration)
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        let size = 200 << 20
        let expected = SHA256Box()
        // Resident memory is sampled while the 200 MiB go up: it must never grow by anything near the object. (The
        // allocator as the binary sets it: freed part buffers go back to the system.)
        MemoryTuning.apply()
        let baseline = Self.residentBytes()
        let peak = CounterBox()
        let sampler = Task {
            while !Task.isCancelled {
                peak.value = max(peak.value, Self.residentBytes() - baseline)
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let info = try await blobs.put(key, body: Self.generated(size, hasher: expected))
        sampler.cancel()
        _ = await sampler.result
        #expect(info.size == Int64(size))
        #expect(info.sha256 == expected.hex)
        #expect(peak.value < 120 << 20, "resident memory grew by \(peak.value >> 20) MiB while storing 200 MiB")
        #expect(try await blobs.size(of: key) == Int64(size))
        // Read back whole, streamed, and hashed: the same bytes.
        var readBack = SHA256()
        var total = 0
        for try await chunk in try await blobs.read(key) {
            chunk.withUnsafeReadableBytes { readBack.update(bufferPointer: $0) }
            total += chunk.readableBytes
        }
        #expect(total == size)
        #expect(readBack.finalize().hexString == expected.hex)
        // Ranges inside one part, across the boundary of two parts, and to the end.
        let part = 16 << 20
        for range in [Int64(5)..<Int64(1005), Int64(part - 100)..<Int64(part + 100), Int64(size - 10)..<Int64(size)] {
            let bytes = try await collect(blobs.read(key, range: range))
            #expect(bytes.count == range.count)
            // Chunk n (1 MiB) starts with n's offset as a big-endian UInt64.
            if range.lowerBound == Int64(part - 100) {
                var b = ByteBuffer(bytes: bytes[100..<108])
                #expect(b.readInteger(as: UInt64.self) == UInt64(part))
            }
        }
        // A range past the end reads nothing; an empty range reads nothing.
        #expect(try await collect(blobs.read(key, range: Int64(size)..<Int64(size + 10))).isEmpty)
        #expect(try await collect(blobs.read(key, range: 7..<7)).isEmpty)
        try await blobs.delete(key)
        #expect(try await blobs.size(of: key) == nil)
    }

    @Test func partsSentSeveralAtOnceComposeTheSameObject() async throws {
        var configuration = S3TestEnvironment.configuration()
        configuration.partsInFlight = 3
        let (store, cleanup) = try S3TestEnvironment.open(configuration)
        defer { cleanup() }
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        // 5 MiB parts, chunks of 1 MiB + 1 byte so that every part boundary splits a chunk.
        let expected = SHA256Box()
        let size = (23 << 20) + 12_345
        // Re-sliced as consumed (nothing held): 1 MiB + 1 byte at a time.
        let source = IteratorBox(Self.generated(size, hasher: expected).makeAsyncIterator())
        let info = try await store.put(key, body: AsyncStream(unfolding: { await source.next(length: (1 << 20) + 1) }), limit: nil)
        #expect(info.size == Int64(size) && info.sha256 == expected.hex)
        var readBack = SHA256()
        for try await chunk in try await store.read(key, range: nil) { chunk.withUnsafeReadableBytes { readBack.update(bufferPointer: $0) } }
        #expect(readBack.finalize().hexString == expected.hex)
        #expect(try await collect(store.read(key, range: Int64(5 << 20) - 2..<Int64(5 << 20) + 2)).count == 4)
    }

    @Test func aBodyOverTheLimitAfterTheFirstPartAbortsTheMultipartUpload() async throws {
        let configuration = S3TestEnvironment.configuration()
        let (store, cleanup) = try S3TestEnvironment.open(configuration)
        defer { cleanup() }
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        let limit = Int64(12 << 20)
        await #expect(throws: BlobTooLarge.self) {
            try await TenantBlobs(tenant: tenant, store: store).put(key, body: Self.generated(20 << 20, hasher: SHA256Box()), limit: limit)
        }
        #expect(try await store.size(of: key) == nil)
        // No multipart upload is left under the store's prefix.
        let pending = try await store.pendingMultipartUploads()
        #expect(pending.isEmpty, "left behind: \(pending)")
    }

    @Test func deletingAPrefixRemovesMoreThanOneListingPage() async throws {
        let (store, cleanup) = try S3TestEnvironment.open()
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let file = PrefixedID(.file), other = PrefixedID(.file)
        let keys = try (0..<1_100).map { try ObjectKey(tenant: tenant, file: file, name: "v\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, key) in keys.enumerated() {
                if i >= 16 { try await group.next() }
                group.addTask { _ = try await blobs.put(key, body: chunks([UInt8(i & 0xff)], size: 1)) }
            }
            try await group.waitForAll()
        }
        let kept = try ObjectKey(tenant: tenant, file: other)
        _ = try await blobs.put(kept, body: chunks([1, 2, 3], size: 3))
        #expect(try await store.count(prefix: keys[0].folder) == 1_100)
        try await blobs.deleteFolder(of: keys[0])
        #expect(try await store.count(prefix: keys[0].folder) == 0)
        #expect(try await blobs.size(of: kept) == 3)
    }

    @Test func aStoreThatIsDownFailsAsStorageFailureAfterItsRetries() async throws {
        // A port nothing listens on: refused at once, retried with backoff, then STORAGE_FAILURE.
        let (store, cleanup) = try S3TestEnvironment.open(S3TestEnvironment.configuration(endpoint: URL(string: "http://127.0.0.1:9")!))
        defer { cleanup() }
        let blobs = TenantBlobs(tenant: tenant, store: store)
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        let started = ContinuousClock.now
        let put = await #expect(throws: FileError.self) { try await blobs.put(key, body: chunks([1, 2, 3], size: 3)) }
        #expect(put?.code == .storageFailure)
        #expect(put?.message.contains("unreachable") == true, "\(String(describing: put))")
        // Three retries after the first attempt (50, 100, 200 ms and jitter), and no more: a client waits seconds, not minutes.
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(350) && waited < .seconds(5), "\(waited)")
        let size = await #expect(throws: FileError.self) { try await blobs.size(of: key) }
        #expect(size?.code == .storageFailure)
        let read = await #expect(throws: FileError.self) { try await blobs.read(key) }
        #expect(read?.code == .storageFailure)
        // A tus part is staged locally and still accepted; composing it into the object is what fails.
        let upload = PrefixedID(.upload)
        #expect(try await blobs.putPart(upload: upload, at: 0, body: chunks([1, 2, 3], size: 3), limit: nil, checksum: nil) == 3)
        let compose = await #expect(throws: FileError.self) { try await blobs.composeParts(upload: upload, length: 3, to: key) }
        #expect(compose?.code == .storageFailure)
    }

    @Test func wrongCredentialsAreRefusedAtOnceAsStorageFailure() async throws {
        var credentials = S3TestEnvironment.credentials
        credentials.secretAccessKey = "not-the-secret-000000000000000000000000"
        let (store, cleanup) = try S3TestEnvironment.open(S3TestEnvironment.configuration(credentials: credentials))
        defer { cleanup() }
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        let error = await #expect(throws: FileError.self) { try await store.put(key, body: chunks([1], size: 1), limit: nil) }
        #expect(error?.code == .storageFailure)
        #expect(error?.message.contains("SignatureDoesNotMatch") == true, "\(String(describing: error))")
        #expect(error?.message.contains(credentials.secretAccessKey) == false)
    }

    @Test func aSmallObjectCarriesItsSHA256AsMetadataAndVirtualHostedAddressingIsBuilt() async throws {
        let (store, cleanup) = try S3TestEnvironment.open()
        defer { cleanup() }
        let key = try ObjectKey(tenant: tenant, file: PrefixedID(.file))
        let info = try await store.put(key, body: chunks(Array("hello".utf8), size: 2), limit: nil)
        #expect(try await store.metadata(key)["x-amz-meta-sha256"] == info.sha256)
        var hosted = S3TestEnvironment.configuration()
        hosted.pathStyle = false
        hosted.endpoint = URL(string: "https://s3.eu-west-1.amazonaws.com")!
        hosted.bucket = "files"
        #expect(hosted.objectURL(of: "tenants/acme/x") == "https://files.s3.eu-west-1.amazonaws.com/\(hosted.keyPrefix)tenants/acme/x")
        hosted.pathStyle = true
        #expect(hosted.objectURL(of: "tenants/acme/x") == "https://s3.eu-west-1.amazonaws.com/files/\(hosted.keyPrefix)tenants/acme/x")
    }
}

/// The leader task that aborts multipart uploads a dead process left in the bucket.
@Suite(.enabled(if: S3TestEnvironment.isConfigured, S3TestEnvironment.skipReason))
struct S3UploadSweepTaskTests {
    @Test func anAbandonedMultipartUploadIsAbortedOnceOldEnoughAndARecentOneIsKept() async throws {
        let (store, cleanup) = try S3TestEnvironment.open()
        defer { cleanup() }
        let key = try ObjectKey(tenant: TenantID("acme"), file: PrefixedID(.file))
        // What a process that died mid-upload leaves: an upload started, one part sent, never completed.
        let id = try await store.createMultipart(key)
        _ = try await store.uploadPart(key, uploadID: id, number: 1, body: ByteBuffer(repeating: 1, count: 1024))
        #expect(try await store.pendingMultipartUploads().map(\.uploadID) == [id])
        #expect(try await S3UploadSweepTask(store: store).run() == 0)   // a day old is abandoned; this one is not
        #expect(try await store.pendingMultipartUploads().count == 1)
        try await Task.sleep(for: .seconds(1.1))
        #expect(try await S3UploadSweepTask(store: store, maxAge: .seconds(1)).run() == 1)
        #expect(try await store.pendingMultipartUploads().isEmpty)
        #expect(try await store.size(of: key) == nil)
    }
}
