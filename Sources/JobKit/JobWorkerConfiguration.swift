import Foundation

/// One queue a worker process takes jobs from.
public struct QueueConfiguration: Sendable, Hashable {
    /// The queue's name.
    public var name: String
    /// How many of its jobs this process runs at once. Default: 10.
    public var concurrency: Int

    public init(_ name: String, concurrency: Int = 10) {
        self.name = name
        self.concurrency = max(1, concurrency)
    }
}

/// How a worker process runs. Every field has a default that suits production; tests shorten the times.
public struct JobWorkerConfiguration: Sendable {
    /// The queues to work, with their per-process concurrency. Default: `default` with 10 slots.
    public var queues: [QueueConfiguration]
    /// This process's identity, written to `attempted_by`. Default: `host:pid:random`.
    public var workerID: String
    /// How often a producer fetches without a notification (the fallback for lost NOTIFYs). Default: 1 s.
    public var pollInterval: Duration
    /// How long a fetched job's lease lasts without a heartbeat. Default: 60 s.
    public var leaseDuration: Duration
    /// How often the leases of running jobs are extended. Default: 10 s.
    public var heartbeatInterval: Duration
    /// On SIGTERM, how long running jobs may take to finish before they are cancelled and put back. Default: 25 s.
    public var shutdownGracePeriod: Duration
    /// With a backlog, a producer waits until this fraction of its slots is free before fetching again, so
    /// fetches stay large. Default: 0.25.
    public var refetchFraction: Double
    /// Most outcomes written by one completer statement. Default: 5000.
    public var completerBatchSize: Int
    /// Producers stop fetching while this many outcomes wait to be written. Default: 20 000.
    public var completerBacklogLimit: Int
    /// Maintenance (stager, rescuer, pruner) run by the elected ``LeaderService``. `nil` stands for no leadership here.
    public var maintenance: MaintenanceConfiguration?

    public init(
        queues: [QueueConfiguration] = [QueueConfiguration("default")],
        workerID: String = JobWorkerConfiguration.defaultWorkerID(),
        pollInterval: Duration = .seconds(1),
        leaseDuration: Duration = .seconds(60),
        heartbeatInterval: Duration = .seconds(10),
        shutdownGracePeriod: Duration = .seconds(25),
        refetchFraction: Double = 0.25,
        completerBatchSize: Int = 5000,
        completerBacklogLimit: Int = 20_000,
        maintenance: MaintenanceConfiguration? = MaintenanceConfiguration()
    ) {
        self.queues = queues
        self.workerID = workerID
        self.pollInterval = pollInterval
        self.leaseDuration = leaseDuration
        self.heartbeatInterval = heartbeatInterval
        self.shutdownGracePeriod = shutdownGracePeriod
        self.refetchFraction = min(1, max(0, refetchFraction))
        self.completerBatchSize = max(1, completerBatchSize)
        self.completerBacklogLimit = max(1, completerBacklogLimit)
        self.maintenance = maintenance
    }

    /// `hostname:pid:random`, unique per process start.
    public static func defaultWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(random)"
    }
}
