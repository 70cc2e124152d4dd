import Foundation

/// How and when a typed job runs (after River's `InsertOpts`). Every field is optional: an unset field falls
/// back to the args' own ``JobArgs/insertOptions``, then to the default named here.
public struct InsertOptions: Sendable, Hashable {
    /// The queue. Default: the args type's ``JobArgs/defaultQueue``.
    public var queue: String?
    /// 0 (most urgent) … 9. Default: 0.
    public var priority: Int?
    /// How many attempts before the job is discarded. Default: 20.
    public var maxAttempts: Int?
    /// When to run. Default: now; a future time enqueues the job as `scheduled`.
    public var scheduledAt: Date?
    /// Free-form labels for operators. Default: none.
    public var tags: [String]?
    /// Refuses this job while an earlier job with the same key is in one of ``uniqueStates``. Default: none.
    public var uniqueKey: String?
    /// The states of an earlier job that make a new one with the same key a duplicate.
    /// Default: ``JobState/defaultUniqueStates``.
    public var uniqueStates: [JobState]?
    /// The tenant the job works for (the row's `tenant_id`, the handler's ``Job/tenantID``). Default: none.
    public var tenantID: String?
    /// W3C `traceparent` of the request that caused the job. Default: none.
    public var traceContext: String?

    public init(queue: String? = nil, priority: Int? = nil, maxAttempts: Int? = nil, scheduledAt: Date? = nil,
                tags: [String]? = nil, uniqueKey: String? = nil, uniqueStates: [JobState]? = nil,
                tenantID: String? = nil, traceContext: String? = nil) {
        self.queue = queue
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.scheduledAt = scheduledAt
        self.tags = tags
        self.uniqueKey = uniqueKey
        self.uniqueStates = uniqueStates
        self.tenantID = tenantID
        self.traceContext = traceContext
    }

    /// These options where they are set, else those of `defaults`.
    public func merged(over defaults: InsertOptions) -> InsertOptions {
        InsertOptions(queue: queue ?? defaults.queue, priority: priority ?? defaults.priority,
                      maxAttempts: maxAttempts ?? defaults.maxAttempts, scheduledAt: scheduledAt ?? defaults.scheduledAt,
                      tags: tags ?? defaults.tags, uniqueKey: uniqueKey ?? defaults.uniqueKey,
                      uniqueStates: uniqueStates ?? defaults.uniqueStates, tenantID: tenantID ?? defaults.tenantID,
                      traceContext: traceContext ?? defaults.traceContext)
    }
}
