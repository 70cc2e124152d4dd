import Logging
import ServiceLifecycle

/// Checks a ``TLSContextStore``'s files every `interval` and reloads them when they change; a change that does
/// not load is logged as an error and the listener keeps its previous certificate.
public struct TLSReloadService: Service {
    let store: TLSContextStore
    let interval: Duration
    let logger: Logger

    public init(store: TLSContextStore, interval: Duration = .seconds(10), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                switch store.reloadIfChanged() {
                case .unchanged: break
                case .reloaded: logger.info("TLS certificate reloaded", metadata: ["certificate": "\(store.files.certificate)"])
                case .failed(let reason):
                    logger.error("TLS files changed but do not load; the previous certificate stays in use",
                                 metadata: ["certificate": "\(store.files.certificate)", "reason": "\(reason)"])
                }
            }
        }
    }
}
