import Foundation

/// A job to enqueue: its kind, JSON args and how and when it should run.
public struct JobInsert: Sendable, Hashable {
    /// The worker kind that runs the job, e.g. `noop` or `scan`.
    public var kind: String
    /// The args as a JSON object (text). Default: `{}`.
    public var argsJSON: String
    /// The queue. Default: `default`.
    public var queue: String
    /// 0 (most urgent) … 9. Default: 0.
    public var priority: Int
    /// How many attempts before the job is discarded. Default: 20.
    public var maxAttempts: Int
    /// When to run; `nil` means now. A future time enqueues the job as `scheduled`.
    public var scheduledAt: Date?
    /// Free-form labels for operators.
    public var tags: [String]
    /// Refuses this job while an earlier job with the same key is in one of `uniqueStates`.
    public var uniqueKey: String?
    /// The states of an earlier job that make a new one with the same key a duplicate.
    public var uniqueStates: [JobState]
    /// The tenant the job works for, if any.
    public var tenantID: String?
    /// W3C `traceparent` of the request that caused the job, if any.
    public var traceContext: String?

    public init(
        kind: String,
        argsJSON: String = "{}",
        queue: String = "default",
        priority: Int = 0,
        maxAttempts: Int = 20,
        scheduledAt: Date? = nil,
        tags: [String] = [],
        uniqueKey: String? = nil,
        uniqueStates: [JobState] = JobState.defaultUniqueStates,
        tenantID: String? = nil,
        traceContext: String? = nil
    ) {
        self.kind = kind
        self.argsJSON = argsJSON
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

    /// A job whose args are encoded from a `Encodable` value.
    public init<Args: Encodable>(kind: String, args: Args, queue: String = "default") throws {
        let data = try JSONEncoder().encode(args)
        self.init(kind: kind, argsJSON: String(decoding: data, as: UTF8.self), queue: queue)
    }

    /// Checks the fields that the database would otherwise refuse with a less helpful error.
    public func validate() throws {
        try Self.validate(queue: queue)
        guard !kind.isEmpty, kind.utf8.count <= 128 else {
            throw JobKitError(.invalidArgument, "invalid kind '\(kind)': 1-128 characters")
        }
        guard (0...9).contains(priority) else {
            throw JobKitError(.invalidArgument, "priority \(priority) is outside 0...9")
        }
        guard (1...Int(Int16.max)).contains(maxAttempts) else {
            throw JobKitError(.invalidArgument, "max attempts \(maxAttempts) must be at least 1")
        }
        try Self.validate(argsJSON: argsJSON)
    }

    static func validate(queue: String) throws {
        guard QueueName.isValid(queue) else {
            throw JobKitError(.invalidArgument, "invalid queue name '\(queue)': use 1-64 of a-z 0-9 _ . - starting with a letter or digit")
        }
    }

    static func validate(argsJSON: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(argsJSON.utf8)), object is [String: Any] else {
            throw JobKitError(.invalidArgument, "args must be a JSON object, got: \(argsJSON.prefix(80))")
        }
    }

    /// Validates many jobs, parsing each distinct args text and queue name once (bulk enqueues usually
    /// repeat them).
    static func validate<C: Collection>(_ jobs: C) throws where C.Element == JobInsert {
        var seenArgs = Set<String>(), seenQueues = Set<String>()
        for job in jobs {
            guard !job.kind.isEmpty, job.kind.utf8.count <= 128 else {
                throw JobKitError(.invalidArgument, "invalid kind '\(job.kind)': 1-128 characters")
            }
            guard (0...9).contains(job.priority) else { throw JobKitError(.invalidArgument, "priority \(job.priority) is outside 0...9") }
            guard (1...Int(Int16.max)).contains(job.maxAttempts) else {
                throw JobKitError(.invalidArgument, "max attempts \(job.maxAttempts) must be at least 1")
            }
            if seenQueues.insert(job.queue).inserted { try validate(queue: job.queue) }
            if seenArgs.count < 10_000, !seenArgs.contains(job.argsJSON) {
                try validate(argsJSON: job.argsJSON)
                seenArgs.insert(job.argsJSON)
            } else if seenArgs.count >= 10_000 {
                try validate(argsJSON: job.argsJSON)
            }
        }
    }

    /// The state the row starts in.
    var initialState: JobState {
        if let scheduledAt, scheduledAt > Date() { return .scheduled }
        return .available
    }
}

/// Rules for queue names, shared by the database CHECK constraint and the CLI.
public enum QueueName {
    /// Whether `name` is a valid queue name: 1-64 of `a-z 0-9 _ . -`, starting with a letter or digit.
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || (!first && (b == 95 || b == 46 || b == 45))
        }
        return bytes.enumerated().allSatisfy { ok($0.element, first: $0.offset == 0) }
    }
}

/// What became of one enqueued job.
public enum EnqueueResult: Sendable, Hashable {
    /// A new row was inserted with this id.
    case inserted(Int64)
    /// A job with the same unique key already exists in a refusing state; this is its id.
    case duplicate(Int64)

    /// The id of the new or the existing job.
    public var id: Int64 {
        switch self {
        case .inserted(let id), .duplicate(let id): return id
        }
    }
}
