/// A queue's shared controls, from `jobkit.queues`.
public struct QueueControl: Sendable, Hashable {
    /// Paused queues are not fetched from by any worker.
    public var paused: Bool
    /// Most jobs of the queue running at once across all workers; `nil` for no limit.
    public var globalLimit: Int?

    public init(paused: Bool = false, globalLimit: Int? = nil) {
        self.paused = paused
        self.globalLimit = globalLimit
    }
}
