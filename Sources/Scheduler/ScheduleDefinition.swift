import Foundation
import JobKit

/// What a schedule enqueues and when: its name, cron expression and zone, the job (kind, args, queue,
/// priority, attempts) and its policies. Built-in schedules are declared in code with this value; operator
/// schedules are stored (``ScheduleStore``) from it.
public struct ScheduleDefinition: Sendable, Hashable {
    public var name: String
    public var cron: String
    public var timeZone: String
    public var kind: String
    /// The job's args, a JSON object (text).
    public var argsJSON: String
    public var queue: String
    public var priority: Int
    public var maxAttempts: Int
    public var misfire: MisfirePolicy
    public var overlap: OverlapPolicy

    public init(name: String, cron: String, timeZone: String = "UTC", kind: String, argsJSON: String = "{}",
                queue: String = "default", priority: Int = 0, maxAttempts: Int = 20, misfire: MisfirePolicy = .skip,
                overlap: OverlapPolicy = .allow) {
        self.name = name
        self.cron = cron
        self.timeZone = timeZone
        self.kind = kind
        self.argsJSON = argsJSON
        self.queue = queue
        self.priority = priority
        self.maxAttempts = maxAttempts
        self.misfire = misfire
        self.overlap = overlap
    }

    /// A built-in schedule for typed `args` (kind and default queue from the type).
    public init<A: JobArgs>(name: String, cron: String, timeZone: String = "UTC", args: A, misfire: MisfirePolicy = .skip,
                            overlap: OverlapPolicy = .skip) throws {
        let insert = try JobInsert(args)
        self.init(name: name, cron: cron, timeZone: timeZone, kind: insert.kind, argsJSON: insert.argsJSON, queue: insert.queue,
                  priority: insert.priority, maxAttempts: insert.maxAttempts, misfire: misfire, overlap: overlap)
    }

    /// Checks every field; returns the parsed schedule. Throws ``CronError`` with a message for the operator.
    /// `knownKinds`, when given, are the only kinds accepted.
    @discardableResult
    public func validate(knownKinds: Set<String>? = nil) throws -> CronSchedule {
        guard Self.isValidName(name) else {
            throw CronError("invalid schedule name '\(name)': use 1-128 of a-z 0-9 _ . : - starting with a letter or digit")
        }
        let schedule = try CronSchedule(cron, timeZone: timeZone)
        if let knownKinds, !knownKinds.contains(kind) {
            throw CronError("unknown job kind '\(kind)'; known kinds: \(knownKinds.sorted().joined(separator: ", "))")
        }
        do {
            try JobInsert(kind: kind, argsJSON: argsJSON, queue: queue, priority: priority, maxAttempts: maxAttempts).validate()
        } catch let error as JobKitError {
            throw CronError(error.message)
        }
        return schedule
    }

    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.enumerated().allSatisfy { i, b in
            (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || (i > 0 && (b == 95 || b == 46 || b == 58 || b == 45))
        }
    }
}
