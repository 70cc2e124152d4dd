/// One leadership that ``LeaderService`` instances compete for.
public struct LeaderConfiguration: Sendable, Hashable {
    /// The leadership's name in `jobkit.leaders`; candidates of the same name elect one leader. Default: `maintenance`.
    public var name: String
    /// How long a leadership lasts without renewal. Default: 15 s.
    public var ttl: Duration
    /// How often the leader renews and followers try to take over. Default: 5 s.
    public var electionInterval: Duration

    public init(name: String = "maintenance", ttl: Duration = .seconds(15), electionInterval: Duration = .seconds(5)) {
        self.name = name
        self.ttl = ttl
        self.electionInterval = electionInterval
    }
}
