/// Token buckets by key with bounded memory: the pure state of ``RateLimiter`` (it holds one behind a lock).
///
/// Memory stays under ``capacity`` buckets without forgetting everyone's limits at once: when a new key would
/// pass it, buckets that have refilled to their burst are dropped first (a full bucket is the same as no
/// bucket, so nothing is lost), then — only if still over — the least recently used ones, down to 90 % of the
/// capacity, so a sweep happens at most once per tenth of the capacity in new keys.
public struct TokenBuckets: Sendable {
    public struct Bucket: Sendable {
        var tokens: Double
        var updated: Double
        var perSecond: Double
        var burst: Double

        /// The tokens at `now` (refilled, capped at the burst).
        public func tokens(at now: Double) -> Double { min(burst, tokens + max(0, now - updated) * perSecond) }
    }

    /// What ``take(_:limit:now:)`` decided.
    public enum Action: Equatable, Sendable {
        /// A token was taken.
        case admit
        /// The bucket is empty; a token is there in this many seconds.
        case refuse(wait: Double)
    }

    /// The most buckets held. Default: 100,000.
    public let capacity: Int
    public private(set) var buckets: [String: Bucket] = [:]

    public init(capacity: Int = 100_000) {
        precondition(capacity >= 10, "a bucket table of fewer than 10 entries is a configuration error")
        self.capacity = capacity
    }

    /// How many buckets are held.
    public var count: Int { buckets.count }

    /// Takes one token from `key`'s bucket (new keys start full), at `now` (seconds on a monotonic clock).
    public mutating func take(_ key: String, limit: RateLimiter.Limit, now: Double) -> Action {
        if buckets[key] == nil, buckets.count >= capacity { evict(now: now) }
        var b = buckets[key] ?? Bucket(tokens: limit.burst, updated: now, perSecond: limit.perSecond, burst: limit.burst)
        b.tokens = b.tokens(at: now)
        b.updated = now
        defer { buckets[key] = b }
        if b.tokens >= 1 {
            b.tokens -= 1
            return .admit
        }
        return .refuse(wait: (1 - b.tokens) / limit.perSecond)
    }

    /// Whether `key`'s bucket has a token now, without taking one.
    public func hasToken(_ key: String, now: Double) -> Bool {
        guard let b = buckets[key] else { return true }
        return b.tokens(at: now) >= 1
    }

    /// Drops full buckets, then the least recently used, until at most 90 % of the capacity is held.
    public mutating func evict(now: Double) {
        buckets = buckets.filter { $0.value.tokens(at: now) < $0.value.burst }
        let target = capacity - capacity / 10
        guard buckets.count > target else { return }
        let oldest = buckets.sorted { $0.value.updated < $1.value.updated }.prefix(buckets.count - target).map(\.key)
        for key in oldest { buckets[key] = nil }
    }
}
