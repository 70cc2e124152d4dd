import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

extension LocalBlobStore {
    /// Threads for the blob store's blocking calls. Most of their time is spent waiting in `fsync`, not on a
    /// core, so there are many more than cores: with NIO's shared pool (one thread per core) two uploads
    /// fsyncing at once held up every other upload and download. Default: 32.
    public static let defaultIOThreads = 32

    /// A started thread pool of `threads` for one process's blob store; it lives as long as the process.
    public static func makeIOPool(threads: Int = defaultIOThreads) -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
        return pool
    }

    /// Creates `dir` and any missing folder above it, so that each one survives a crash: the parent of every
    /// folder made here is fsynced (a new folder is an entry in its parent). An existing folder costs one
    /// `mkdir` that fails with `EEXIST`.
    static func makeDirectoryDurably(_ dir: String) throws {
        if mkdir(dir, 0o755) == 0 {
            try fsyncDirectory(URL(fileURLWithPath: parentPath(dir)))
            return
        }
        switch errno {
        case EEXIST:
            return
        case ENOENT:
            try makeDirectoryDurably(parentPath(dir))
            if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw POSIXFailure("mkdir", dir) }
            try fsyncDirectory(URL(fileURLWithPath: parentPath(dir)))
        default:
            throw POSIXFailure("mkdir", dir)
        }
    }

    static func parentPath(_ path: String) -> String {
        var p = path
        while p.count > 1, p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return slash == p.startIndex ? "/" : String(p[..<slash])
    }

    /// Stores `bytes` (a whole small object) in one trip to the thread pool: temporary file, write, fsync,
    /// rename into a durably created folder, fsync of that folder.
    static func writeSmall(_ bytes: ByteBuffer, tmp: String, to target: URL) throws {
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXFailure("open", tmp) }
        do {
            try writeAll(fd, bytes, path: tmp)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        do {
            try commit(fd, URL(fileURLWithPath: tmp), to: target)
        } catch {
            unlink(tmp)
            throw error
        }
    }
}
