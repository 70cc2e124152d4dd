import Foundation

/// When a failed delivery is tried again: one delay per retry, each spread by ± ``jitter``. After the last
/// delay's retry fails, the delivery is dead (the endpoint's dead letter).
public struct RetrySchedule: Sendable, Hashable {
    /// Seconds before retry 1, 2, …. Default: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    public var delays: [TimeInterval]
    /// The fraction each delay is spread by, uniformly either way. Default: 0.2.
    public var jitter: Double

    public static let standard: [TimeInterval] = [5, 300, 1800, 7200, 18000, 36000, 36000]

    public init(delays: [TimeInterval] = RetrySchedule.standard, jitter: Double = 0.2) {
        self.delays = delays
        self.jitter = jitter
    }

    /// Attempts in all: the first and one per delay.
    public var maxAttempts: Int { delays.count + 1 }

    /// The delay after failed attempt `attempt` (1-based), or `nil` when it was the last.
    public func delay<R: RandomNumberGenerator>(after attempt: Int, using random: inout R) -> TimeInterval? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        let base = delays[attempt - 1]
        guard jitter > 0 else { return base }
        return max(0, base * (1 + Double.random(in: -jitter...jitter, using: &random)))
    }

    /// Parses a comma-separated list of durations such as `5s,5m,30m,2h,5h,10h,10h` (units ms, s, m, h, d).
    public static func parseDelays(_ text: String) -> [TimeInterval]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty, parts.count <= 50 else { return nil }
        var out: [TimeInterval] = []
        for part in parts {
            let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
            guard let (suffix, factor) = units.first(where: { part.hasSuffix($0.0) }),
                  let n = Double(part.dropLast(suffix.count)), n >= 0, n.isFinite else { return nil }
            out.append(n * factor)
        }
        return out
    }
}
