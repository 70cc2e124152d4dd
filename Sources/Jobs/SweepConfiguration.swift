/// How the sweeps of expired per-tenant rows run: how often the leader looks for tenants with expired work,
/// where their jobs go, and how much one run and one job may do.
public struct SweepConfiguration: Sendable, Hashable {
    /// How often each sweep's leader task looks for tenants with expired work. Default: 5 minutes.
    public var interval: Duration
    /// The queue of the per-tenant sweep jobs. Default: `maintenance` (beside `file.purge`).
    public var queue: String
    /// Tenants read per call of a system function (one page of the fan-out). Default: 500.
    public var tenantPageSize: Int
    /// Most tenants one leader run enqueues jobs for; the rest wait for the next run. Default: 10 000.
    public var maxTenantsPerRun: Int
    /// Rows a per-tenant job deletes per transaction. Default: 100.
    public var batchSize: Int
    /// Most batches one per-tenant job deletes; what is left waits for the next fan-out. Default: 100.
    public var maxBatchesPerJob: Int
    /// Attempts of a per-tenant job before it is discarded (the next fan-out enqueues a new one). Default: 5.
    public var maxAttempts: Int

    public init(interval: Duration = .seconds(300), queue: String = "maintenance", tenantPageSize: Int = 500,
                maxTenantsPerRun: Int = 10_000, batchSize: Int = 100, maxBatchesPerJob: Int = 100, maxAttempts: Int = 5) {
        self.interval = interval
        self.queue = queue
        self.tenantPageSize = max(1, tenantPageSize)
        self.maxTenantsPerRun = max(1, maxTenantsPerRun)
        self.batchSize = max(1, batchSize)
        self.maxBatchesPerJob = max(1, maxBatchesPerJob)
        self.maxAttempts = max(1, maxAttempts)
    }
}
