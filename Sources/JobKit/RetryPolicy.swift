import Foundation

/// How long to wait before the next attempt of a failed job: exponential backoff with jitter.
///
/// Pure and deterministic given its random source, so it is tested without a database.
/// The delay of attempt `n` (1-based, the attempt that just failed) is
/// `min(maximum, base * multiplier^(n-1))`, then scaled by a random factor in `[1 - jitter, 1 + jitter]`.
public struct RetryPolicy: Sendable, Hashable {
    /// Delay after the first failed attempt. Default: 1 second.
    public var base: Duration
    /// Growth factor between attempts. Default: 2.
    public var multiplier: Double
    /// Upper bound of the delay before jitter. Default: 1 hour.
    public var maximum: Duration
    /// Relative jitter in `0...1`. Default: 0.2 (±20%).
    public var jitter: Double

    public init(base: Duration = .seconds(1), multiplier: Double = 2, maximum: Duration = .seconds(3600), jitter: Double = 0.2) {
        self.base = base
        self.multiplier = max(1, multiplier)
        self.maximum = maximum
        self.jitter = min(1, max(0, jitter))
    }

    /// The default policy: 1 s, 2 s, 4 s, … capped at one hour, ±20%.
    public static let `default` = RetryPolicy()

    /// The delay before retrying after `attempt` failed, using `random` for the jitter.
    public func delay<R: RandomNumberGenerator>(afterAttempt attempt: Int, using random: inout R) -> Duration {
        let exponent = Double(max(0, attempt - 1))
        let baseSeconds = base.seconds
        let raw = baseSeconds * Foundation.pow(multiplier, min(exponent, 64))
        let capped = min(raw.isFinite ? raw : .greatestFiniteMagnitude, maximum.seconds)
        let factor = jitter == 0 ? 1 : Double.random(in: (1 - jitter)...(1 + jitter), using: &random)
        return .milliseconds(Int64((capped * factor * 1000).rounded()))
    }

    /// The delay before retrying after `attempt` failed, with system randomness.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var rng = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &rng)
    }
}
