import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The bytes of local files, one after the other, read in chunks on a thread pool as they are consumed (never
/// more than one chunk ahead): how staged parts and engines' output reach an object store.
struct LocalFileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    var paths: [String]
    var pool: NIOThreadPool
    var chunkSize: Int

    func makeAsyncIterator() -> Iterator { Iterator(paths: paths, pool: pool, chunkSize: chunkSize) }

    final class Iterator: AsyncIteratorProtocol, @unchecked Sendable {
        var paths: [String]
        let pool: NIOThreadPool
        let chunkSize: Int
        var fd: Int32 = -1
        var current = ""

        init(paths: [String], pool: NIOThreadPool, chunkSize: Int) {
            self.paths = paths
            self.pool = pool
            self.chunkSize = chunkSize
        }

        deinit { if fd >= 0 { close(fd) } }

        func next() async throws -> ByteBuffer? {
            while true {
                if fd < 0 {
                    guard !paths.isEmpty else { return nil }
                    let path = paths.removeFirst()
                    current = path
                    fd = try await pool.runIfActive { () throws -> Int32 in
                        let fd = open(path, O_RDONLY | O_CLOEXEC)
                        guard fd >= 0 else { throw POSIXFailure("open", path) }
                        return fd
                    }
                }
                let fd = self.fd, size = chunkSize, path = current
                let buffer = try await pool.runIfActive { () throws -> ByteBuffer in
                    var buffer = ByteBufferAllocator().buffer(capacity: size)
                    _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
                        while true {
                            let n = Glibc.read(fd, raw.baseAddress!, size)
                            if n < 0, errno == EINTR { continue }
                            if n < 0 { throw POSIXFailure("read", path) }
                            return n
                        }
                    }
                    if buffer.readableBytes == 0 { close(fd) }
                    return buffer
                }
                if buffer.readableBytes > 0 { return buffer }
                self.fd = -1
            }
        }
    }
}
