/// An error raised by JobKit.
///
/// Like `PSQLError`, the code is an opaque struct rather than a public enum, so that new codes can be
/// added without breaking callers that switch over them.
public struct JobKitError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case jobNotFound = "JOB_NOT_FOUND"
            case invalidState = "INVALID_STATE"
            case invalidArgument = "INVALID_ARGUMENT"
            case unknownKind = "UNKNOWN_KIND"
            case invalidArgs = "INVALID_ARGS"
            case databaseBehind = "DATABASE_BEHIND"
            case migrationFailed = "MIGRATION_FAILED"
            case jobNoLongerRunning = "JOB_NO_LONGER_RUNNING"
            case timeout = "TIMEOUT"
            case configuration = "CONFIGURATION"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No job has the given id.
        public static let jobNotFound = Code(.jobNotFound)
        /// The job is not in a state that allows the operation.
        public static let invalidState = Code(.invalidState)
        /// An argument given by a caller is malformed.
        public static let invalidArgument = Code(.invalidArgument)
        /// No worker is registered for the job's kind.
        public static let unknownKind = Code(.unknownKind)
        /// The job's args cannot be decoded for its kind.
        public static let invalidArgs = Code(.invalidArgs)
        /// The database schema is older than this build expects: apply the migrations.
        public static let databaseBehind = Code(.databaseBehind)
        /// A migration failed and was rolled back.
        public static let migrationFailed = Code(.migrationFailed)
        /// The job was cancelled, rescued or finished elsewhere while this handler ran.
        public static let jobNoLongerRunning = Code(.jobNoLongerRunning)
        /// The handler ran past its kind's timeout.
        public static let timeout = Code(.timeout)
        /// The configuration is invalid.
        public static let configuration = Code(.configuration)

        /// The stable name of the code, e.g. `JOB_NOT_FOUND`.
        public var name: String { base.rawValue }
        public var description: String { base.rawValue }
    }

    /// What went wrong, in a stable, machine-readable form.
    public let code: Code
    /// A sentence for people.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.name): \(message)" }
}
