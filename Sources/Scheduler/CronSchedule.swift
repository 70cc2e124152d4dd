import Foundation

/// A cron expression in an IANA time zone: computes fire times as instants.
///
/// DST policy: a matching wall time that a spring-forward skips fires once, at the first valid instant after
/// the gap (the transition itself; several skipped matches fold into that one fire); a matching wall time that a
/// fall-back repeats fires once, at its first occurrence. `@every` ignores the zone (epoch-aligned instants).
public struct CronSchedule: Sendable, Hashable {
    public let expression: CronExpression
    public let timeZone: TimeZone

    /// - Throws: ``CronError`` for an unknown zone.
    public init(expression: CronExpression, timeZoneName: String = "UTC") throws {
        guard let zone = Self.zone(named: timeZoneName) else {
            throw CronError("unknown time zone '\(timeZoneName)': use an IANA name such as UTC, Europe/Berlin, America/New_York")
        }
        self.init(expression: expression, timeZone: zone)
    }

    public init(expression: CronExpression, timeZone: TimeZone) {
        self.expression = expression
        self.timeZone = timeZone
        self.fixedOffset = Self.fixedOffset(of: timeZone)
    }

    /// The offset of a zone without transitions (UTC, GMT, Etc/GMT±N), so the common case asks Foundation nothing.
    private let fixedOffset: Int64?

    private static func fixedOffset(of zone: TimeZone) -> Int64? {
        let id = zone.identifier
        guard id == "UTC" || id == "GMT" || id.hasPrefix("Etc/") else { return nil }
        let probe = Date(timeIntervalSince1970: 1_767_225_600)
        guard zone.nextDaylightSavingTimeTransition(after: probe) == nil else { return nil }
        return Int64(zone.secondsFromGMT(for: probe))
    }

    /// Parses both; throws ``CronError`` with a message for the operator.
    public init(_ expression: String, timeZone: String = "UTC") throws {
        try self.init(expression: try CronExpression(expression), timeZoneName: timeZone)
        // A last safety net: an expression that passed the static check must fire within the search horizon.
        guard next(after: Date(timeIntervalSince1970: 1_767_225_600)) != nil else {
            throw CronError("'\(expression)' can never fire")
        }
    }

    /// A time zone by IANA name (case as given; `UTC`/`GMT` and fixed zones accepted as Foundation knows them).
    public static func zone(named name: String) -> TimeZone? {
        guard !name.isEmpty, name.utf8.count <= 64 else { return nil }
        if name == "UTC" || name == "Etc/UTC" { return TimeZone(identifier: "UTC") }
        guard TimeZone.knownTimeZoneIdentifiers.contains(name) || name == "GMT" else { return nil }
        return TimeZone(identifier: name)
    }

    /// The first fire time strictly after `t`, or nil if none within the search horizon (12 years).
    public func next(after t: Date) -> Date? {
        let after = Int64(t.timeIntervalSince1970.rounded(.down))
        return nextSecond(after: after).map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// The fire times in `(after, through]`, at most `limit` of them (oldest first).
    public func fireTimes(after: Date, through end: Date, limit: Int) -> [Date] {
        var out: [Date] = []
        var t = after
        while out.count < limit, let n = next(after: t), n <= end {
            out.append(n)
            t = n
        }
        return out
    }

    /// The first fire instant (Unix seconds) > `after`.
    func nextSecond(after: Int64) -> Int64? {
        if case .every(let period) = expression.kind {
            return (Self.floorDiv(after, period) + 1) * period
        }
        // Walk matching wall times from the wall time of `after`; resolve each to an instant. Resolved instants
        // never decrease as wall time grows, so the first one > after is the answer.
        var wall = CivilTime(secondsSinceEpoch: after + offset(at: after))
        // A fall-back can put `after` in the repeated hour whose wall times resolve before it: bounded walk.
        for _ in 0..<200_000 {
            guard let w = expression.nextWallTime(atOrAfter: wall) else { return nil }
            let instant = resolve(w)
            if instant > after { return instant }
            wall = CivilTime(secondsSinceEpoch: w.secondsSinceEpoch + 1)
        }
        return nil
    }

    /// The instant of wall time `w` in the zone under the DST policy: its first occurrence; in a gap, the
    /// transition that ends the gap.
    public func resolve(_ w: CivilTime) -> Int64 {
        let naive = w.secondsSinceEpoch
        let offsets = Set([offset(at: naive - 50_400), offset(at: naive), offset(at: naive + 50_400)])
        let valid = offsets.map { naive - $0 }.filter { offset(at: $0) == naive - $0 }
        if let first = valid.min() { return first }
        // In a gap: the instant by the earlier (pre-transition) offset lies after the transition, the one by the
        // later offset before it. Find the transition between them.
        let candidates = offsets.map { naive - $0 }
        var lo = candidates.min()!, hi = candidates.max()!
        let before = offset(at: lo)
        // Invariant: offset(lo) == before, offset(hi) != before.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if offset(at: mid) == before { lo = mid } else { hi = mid }
        }
        return hi
    }

    /// The zone's offset from UTC (seconds) at the instant.
    public func offset(at instant: Int64) -> Int64 {
        if let fixedOffset { return fixedOffset }
        return Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }

    /// The wall time of `instant` in the zone.
    public func wallTime(at instant: Int64) -> CivilTime {
        CivilTime(secondsSinceEpoch: instant + offset(at: instant))
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// A rough period (seconds) for alerting: `@every`'s interval, else the gap between the next two fire times
    /// after `t`.
    public func approximatePeriod(near t: Date) -> TimeInterval? {
        if let every = expression.everySeconds { return TimeInterval(every) }
        guard let a = next(after: t), let b = next(after: a) else { return nil }
        return b.timeIntervalSince(a)
    }
}
