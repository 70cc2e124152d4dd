import NIOPosix
import ServiceLifecycle

/// Threads for blocking native work — libclamav scans, libvips — apart from NIO's shared pool, which the blob
/// store's file I/O uses: a long scan or decode never holds up uploads and downloads served by the same
/// process (`dev`, the embedded default). Its size bounds how many scans and image operations run at once.
/// Stopped after the workers (it is added to the service group before them).
struct NativeThreads: Service {
    let pool: NIOThreadPool

    init(count: Int) {
        pool = NIOThreadPool(numberOfThreads: count)
        pool.start()
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await pool.shutdownGracefully()
    }
}
