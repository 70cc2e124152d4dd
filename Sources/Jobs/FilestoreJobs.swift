import JobKit

extension JobRegistry {
    /// Every job kind of filestore. The file pipeline's handlers (scan, optimize, EXIF scrub, outbox relay,
    /// erasure, retention, readiness) register here as they land; `noop` is JobKit's own.
    public static func filestore() -> JobRegistry {
        var registry = JobRegistry()
        registry.register(NoopWorker())
        return registry
    }
}
