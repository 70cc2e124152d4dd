/// A cron expression, duration or time zone that is refused, with a message for the operator.
public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
