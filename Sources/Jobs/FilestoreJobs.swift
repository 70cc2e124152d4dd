import JobKit

extension JobRegistry {
    /// The job kinds that need nothing but the queue: `noop` (JobKit's own). Handlers with dependencies are
    /// registered by the process that owns them: `scan` (``ScanWorker``: the virus scanner, the blob store, the
    /// tenant-scoped database), `optimize` (``OptimizeWorker``: libvips), `file.purge` (``PurgeWorker``); outbox
    /// relay, erasure, retention and readiness arrive with their issues.
    public static func filestore() -> JobRegistry {
        var registry = JobRegistry()
        registry.register(NoopWorker())
        return registry
    }
}
