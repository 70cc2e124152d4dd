import Foundation

/// The console's settings, each with a documented default. ``validate()`` names a bad one; the process stops
/// at start with that message.
public struct ConsoleConfiguration: Sendable {
    /// How long a session lasts after sign-in: 30 minutes (it is not extended; sign in again).
    public var sessionLifetime: Duration = .seconds(30 * 60)
    /// Mark cookies `Secure` (set when the listener speaks TLS): `false`.
    public var secureCookies = false
    /// Rows on one page of search results: 50.
    public var pageSize = 50
    /// A search statement's time budget; longer searches are refused, asking to narrow them: 2 seconds.
    public var searchTimeout: Duration = .seconds(2)
    /// The most jobs one bulk action takes (its dry run counts up to this): 100,000.
    public var bulkMaximum = 100_000
    /// Jobs changed per statement of a bulk action: 500.
    public var bulkBatchSize = 500
    /// The pause between two batches of a bulk action, bounding its rate (500 per 50 ms: at most 10,000 jobs
    /// a second) so that workers' fetches and completions go on beside it: 50 ms.
    public var bulkBatchPause: Duration = .milliseconds(50)
    /// How often, at most, the live overview refreshes while someone watches and notifications say the queues
    /// changed: 500 ms.
    public var liveMinimumInterval: Duration = .milliseconds(500)
    /// How long, at the latest, the live overview goes without a refresh while someone watches (completions send
    /// no notification): 3 seconds.
    public var liveMaximumInterval: Duration = .seconds(3)
    /// Live-update streams one process serves at once; more are refused with 429: 64.
    public var liveMaximumClients = 64
    /// How often finished jobs are rolled up into the per-minute throughput table: 30 seconds.
    public var rollupInterval: Duration = .seconds(30)
    /// Keys of job args shown as `"[redacted]"`, by kind; `"*"` applies to every kind. Defaults: secrets and
    /// personal data the product's kinds may carry.
    public var redactedArgs: [String: Set<String>] = [
        "*": ["password", "secret", "token", "email", "phone", "name", "filename", "ip", "address"],
    ]

    public init() {}

    /// Throws ``ConsoleConfigurationError`` naming the first setting out of range.
    public func validate() throws {
        func positive(_ d: Duration) -> Bool { d > .zero }
        if !positive(sessionLifetime) || sessionLifetime > .seconds(24 * 3600) {
            throw ConsoleConfigurationError("console session lifetime must be between 1 second and 24 hours")
        }
        if !(1...1000).contains(pageSize) { throw ConsoleConfigurationError("console page size must be 1...1000") }
        if !positive(searchTimeout) { throw ConsoleConfigurationError("console search timeout must be positive") }
        if !(1...10_000_000).contains(bulkMaximum) { throw ConsoleConfigurationError("console bulk maximum must be 1...10000000") }
        if !(1...10_000).contains(bulkBatchSize) { throw ConsoleConfigurationError("console bulk batch size must be 1...10000") }
        if bulkBatchPause < .zero { throw ConsoleConfigurationError("console bulk batch pause cannot be negative") }
        if !positive(liveMinimumInterval) || liveMaximumInterval < liveMinimumInterval {
            throw ConsoleConfigurationError("console live intervals must be positive, the maximum not below the minimum")
        }
        if liveMaximumClients < 1 { throw ConsoleConfigurationError("console live clients must be at least 1") }
        if !positive(rollupInterval) { throw ConsoleConfigurationError("console rollup interval must be positive") }
    }
}

/// A console setting out of range (the message names it).
public struct ConsoleConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
