/// The `--json` results of the mutating commands (``jsonText(_:)`` sorts the keys and makes them snake_case).

/// `jobs enqueue` of one job: its id, and whether it was inserted (`false`: a duplicate of a unique job).
struct EnqueueOutput: Encodable {
    var id: Int64
    var inserted: Bool
}

/// `jobs enqueue --count N`: how many were inserted.
struct EnqueueManyOutput: Encodable {
    var inserted: Int
}

/// `jobs retry|cancel|discard`: what was done, and to which of the given jobs.
struct JobActionOutput: Encodable {
    var action: String
    var ids: [Int64]
}

/// `dlq replay`: the jobs replayed (or that would be, with `--dry-run`).
struct ReplayOutput: Encodable {
    var dryRun: Bool
    var ids: [Int64]
}

/// `queues pause|resume`.
struct QueuePausedOutput: Encodable {
    var queue: String
    var paused: Bool
}

/// `queues limit`: `global_limit` is `null` when the limit was removed.
struct QueueLimitOutput: Encodable {
    var queue: String
    var globalLimit: Int?

    enum CodingKeys: String, CodingKey { case queue, globalLimit }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(queue, forKey: .queue)
        try c.encode(globalLimit, forKey: .globalLimit)
    }
}

/// `files release|confirm`: the file and the state it is in now.
struct FileOverrideOutput: Encodable {
    var action: String
    var fileID: String
    var state: String
}
