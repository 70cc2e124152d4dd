import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Keeps a ``ClamAVEngine`` in step with its signature folder: it looks at the folder every `interval`
/// (names, sizes and modification times of its files) and, once a change has settled — the same listing on two
/// looks in a row, so a freshclam update half-written is not compiled — compiles the new signatures and swaps
/// them in (``ClamAVEngine/reload()``: scans in flight keep the engine they started with). A folder that fails
/// to compile keeps the previous engine in service and is tried again at the next change. Exposes
/// `filestore_clamav_signatures` and `filestore_clamav_reloads_total{result}`.
public struct SignatureWatcher: Service {
    let engine: ClamAVEngine
    let interval: Duration
    let logger: Logger

    public init(engine: ClamAVEngine, interval: Duration = .seconds(60), logger: Logger) {
        self.engine = engine
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let signatures = Gauge(label: "filestore_clamav_signatures")
        signatures.record(Int(engine.signatureCount))
        // Stops at once on graceful shutdown (the sleep between looks is cancelled).
        await cancelWhenGracefulShutdown {
            var previous: SignatureListing?
            var failed: SignatureListing?
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                let now = SignatureListing(engine.signatureDirectory)
                defer { previous = now }
                // Changed since the engine in service was compiled, settled since the last look, not known to fail.
                guard now != engine.compiledListing, now == previous, now != failed else { continue }
                do {
                    try await engine.reload()
                    signatures.record(Int(engine.signatureCount))
                    Counter(label: "filestore_clamav_reloads_total", dimensions: [("result", "ok")]).increment()
                    logger.info("signatures reloaded", metadata: ["signatures": "\(engine.signatureCount)"])
                } catch {
                    failed = now // not again until the folder changes again
                    Counter(label: "filestore_clamav_reloads_total", dimensions: [("result", "error")]).increment()
                    logger.error("signature reload failed; the previous engine stays in service", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
