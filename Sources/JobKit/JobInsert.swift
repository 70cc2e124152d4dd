import Foundation

/// A job to enqueue as the row describes it: its kind, JSON args text and how and when it should run.
///
/// The low-level, untyped form (the operator CLI's `jobs enqueue --kind K --args JSON`, bulk loads of mixed
/// kinds). Product code enqueues ``JobArgs`` values (``JobClient/enqueue(_:options:)``), or builds rows from
/// them with ``init(_:options:)``.
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
        priority: Int = JobInsert.defaultPriority,
        maxAttempts: Int = JobInsert.defaultMaxAttempts,
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

    /// The priority of a job that names none: 0, the most urgent.
    public static let defaultPriority = 0
    /// The attempts of a job that names none: 20.
    public static let defaultMaxAttempts = 20

    /// The row for typed `args`: kind ``JobArgs/kind``; args encoded as JSON (sorted keys); each option from
    /// `options`, else from the args' ``JobArgs/insertOptions``, else its default (queue: ``JobArgs/defaultQueue``).
    public init<A: JobArgs>(_ args: A, options: InsertOptions = InsertOptions()) throws {
        try self.init(args, options: options, encoder: JobArgsCoding.encoder())
    }

    init<A: JobArgs>(_ args: A, options: InsertOptions, encoder: JSONEncoder) throws {
        let o = options.merged(over: args.insertOptions)
        self.init(kind: A.kind, argsJSON: try JobArgsCoding.encode(args, with: encoder), queue: o.queue ?? A.defaultQueue,
                  priority: o.priority ?? Self.defaultPriority, maxAttempts: o.maxAttempts ?? Self.defaultMaxAttempts,
                  scheduledAt: o.scheduledAt, tags: o.tags ?? [], uniqueKey: o.uniqueKey,
                  uniqueStates: o.uniqueStates ?? JobState.defaultUniqueStates, tenantID: o.tenantID, traceContext: o.traceContext)
    }

    /// Checks the fields that the database would otherwise refuse with a less helpful error.
    public func validate() throws {
        var validator = Validator()
        try validator.check(self)
    }

    /// Checks jobs before they reach the database. One place for every rule; a bulk enqueue keeps one
    /// validator for all its jobs, so each distinct queue name and args text (bulk loads repeat them) is
    /// parsed once.
    struct Validator {
        private var seenQueues = Set<String>()
        private var seenArgs = Set<String>()
        /// Remembered args texts at most (memory bound for huge loads of distinct args).
        private let argsMemory = 10_000

        mutating func check(_ job: JobInsert) throws {
            guard !job.kind.isEmpty, job.kind.utf8.count <= 128 else {
                throw JobKitError(.invalidArgument, "invalid kind '\(job.kind)': 1-128 characters")
            }
            guard (0...9).contains(job.priority) else {
                throw JobKitError(.invalidArgument, "priority \(job.priority) is outside 0...9")
            }
            guard (1...Int(Int16.max)).contains(job.maxAttempts) else {
                throw JobKitError(.invalidArgument, "max attempts \(job.maxAttempts) must be at least 1")
            }
            if !seenQueues.contains(job.queue) {
                guard QueueName.isValid(job.queue) else {
                    throw JobKitError(.invalidArgument, "invalid queue name '\(job.queue)': use 1-64 of a-z 0-9 _ . - starting with a letter or digit")
                }
                seenQueues.insert(job.queue)
            }
            if !seenArgs.contains(job.argsJSON) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(job.argsJSON.utf8)), object is [String: Any] else {
                    throw JobKitError(.invalidArgument, "args must be a JSON object, got: \(job.argsJSON.prefix(80))")
                }
                if seenArgs.count < argsMemory { seenArgs.insert(job.argsJSON) }
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
