import JobKit

/// The scheduler's timing, leadership and retention.
public struct SchedulerConfiguration: Sendable, Hashable {
    /// The pause between two ticks (each takes the due schedules). Default: 200 ms — the lag fire → insert is at
    /// most about this plus one tick's work.
    public var tickInterval: Duration
    /// Due schedules handled per tick transaction (a tick repeats at once while it finds a full batch). Default: 2000.
    public var batchSize: Int
    /// Tick transactions run at once while a backlog lasts (a minute boundary where thousands of schedules fire):
    /// the claim skips rows another transaction holds, so they take disjoint schedules. One when idle. Default: 2.
    public var parallelism: Int
    /// Fire times found later than this count as missed (misfire policy). Default: 15 s.
    public var misfireGrace: Duration
    /// How long ledger rows are kept. Default: 7 days.
    public var ledgerRetention: Duration
    /// How often the ledger is pruned and the per-schedule success gauges refreshed. Default: 15 s.
    public var maintenanceInterval: Duration
    /// The scheduler's own leadership (`jobkit.leaders` row `scheduler`). Default: lease 5 s, election every 1 s,
    /// so a dead leader is replaced within about 6 s.
    public var leadership: LeaderConfiguration

    public init(tickInterval: Duration = .milliseconds(200), batchSize: Int = 2000, parallelism: Int = 2, misfireGrace: Duration = .seconds(15),
                ledgerRetention: Duration = .seconds(7 * 86_400), maintenanceInterval: Duration = .seconds(15),
                leadership: LeaderConfiguration = LeaderConfiguration(name: "scheduler", ttl: .seconds(5), electionInterval: .seconds(1))) {
        self.tickInterval = tickInterval
        self.batchSize = batchSize
        self.parallelism = max(1, parallelism)
        self.misfireGrace = misfireGrace
        self.ledgerRetention = ledgerRetention
        self.maintenanceInterval = maintenanceInterval
        self.leadership = leadership
    }
}
