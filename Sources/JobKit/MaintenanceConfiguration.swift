/// JobKit's leader-only maintenance: the leadership the worker processes elect, and the intervals and
/// retentions of its standard tasks (``Stager``, ``Rescuer``, ``Pruner``; see
/// ``LeaderService/standardTasks(postgres:configuration:logger:)``).
public struct MaintenanceConfiguration: Sendable {
    /// The leadership's name in `jobkit.leaders`. Default: `maintenance`.
    public var leadershipName: String
    /// How long a leadership lasts without renewal. Default: 15 s.
    public var leaderTTL: Duration
    /// How often the leader renews and followers try to take over. Default: 5 s.
    public var electionInterval: Duration
    /// How often scheduled and retryable jobs whose time has come are made available. Default: 1 s.
    public var stageInterval: Duration
    /// How often expired leases are looked for. Default: 15 s.
    public var rescueInterval: Duration
    /// How often finished jobs are pruned. Default: 60 s.
    public var pruneInterval: Duration
    /// How long completed jobs are kept. Default: 24 h.
    public var completedRetention: Duration
    /// How long cancelled jobs are kept. Default: 7 days.
    public var cancelledRetention: Duration
    /// How long discarded jobs (the dead-letter queue) are kept. Default: 30 days.
    public var discardedRetention: Duration

    public init(
        leadershipName: String = "maintenance",
        leaderTTL: Duration = .seconds(15),
        electionInterval: Duration = .seconds(5),
        stageInterval: Duration = .seconds(1),
        rescueInterval: Duration = .seconds(15),
        pruneInterval: Duration = .seconds(60),
        completedRetention: Duration = .seconds(24 * 3600),
        cancelledRetention: Duration = .seconds(7 * 24 * 3600),
        discardedRetention: Duration = .seconds(30 * 24 * 3600)
    ) {
        self.leadershipName = leadershipName
        self.leaderTTL = leaderTTL
        self.electionInterval = electionInterval
        self.stageInterval = stageInterval
        self.rescueInterval = rescueInterval
        self.pruneInterval = pruneInterval
        self.completedRetention = completedRetention
        self.cancelledRetention = cancelledRetention
        self.discardedRetention = discardedRetention
    }
}

extension MaintenanceConfiguration {
    /// The leadership part: name, TTL and election interval.
    public var leadership: LeaderConfiguration {
        LeaderConfiguration(name: leadershipName, ttl: leaderTTL, electionInterval: electionInterval)
    }
}
