/// One piece of leader-only work: run by the elected ``LeaderService`` every ``interval`` while it leads,
/// and by no other process.
///
/// A task gets its dependencies (pool, logger, settings) at init and keeps no state between runs that it
/// cannot afford to lose: leadership moves between processes, and a run may be cut off by cancellation
/// when the leader steps down. Each run should be bounded (a batch), safe to run concurrently with workers,
/// and harmless if, by accident, a second leader runs it at the same time.
public protocol LeaderTask: Sendable {
    /// A short stable name, for logs and metrics (`task` dimension), e.g. `stage`.
    var name: String { get }
    /// The pause between the end of one run and the start of the next.
    var interval: Duration { get }
    /// Does one run. Returns how many rows or items it affected (logged when not zero).
    func run() async throws -> Int
}
