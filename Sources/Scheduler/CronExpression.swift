import Foundation

/// A parsed cron expression: five fields (minute hour day-of-month month day-of-week), an optional leading
/// seconds field, lists, ranges, steps, month and weekday names, the `@yearly`-style macros, or
/// `@every <duration>`. Pure value: matching wall times lives here, time zones in ``CronSchedule``.
///
/// Day rule (as in Vixie cron): when both day-of-month and day-of-week are restricted, a day matches if
/// either does; when one is `*`, only the other counts.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Calendar fields, matched against the wall clock of the schedule's time zone.
        case fields(second: CronField, minute: CronField, hour: CronField, dayOfMonth: CronField, month: CronField, dayOfWeek: CronField)
        /// Every `seconds` seconds, aligned to the Unix epoch (so every replica computes the same fire times),
        /// independent of time zones.
        case every(seconds: Int64)
    }

    public let kind: Kind
    /// The text as given (trimmed).
    public let text: String

    public var description: String { text }

    static let monthNames = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
                             "oct": 10, "nov": 11, "dec": 12]
    static let weekdayNames = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
    static let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
                         "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]

    /// Parses `text`; refuses syntax errors, out-of-range values and expressions that can never fire (Feb 30).
    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        self.text = trimmed
        guard !trimmed.isEmpty else { throw CronError("empty cron expression") }
        guard trimmed.utf8.count <= 200 else { throw CronError("cron expression longer than 200 characters") }
        let lower = trimmed.lowercased()
        if lower.hasPrefix("@every") {
            let rest = lower.dropFirst("@every".count).trimmingCharacters(in: .whitespaces)
            guard lower.dropFirst("@every".count).first == " " || lower.dropFirst("@every".count).first == "\t" else {
                throw CronError("'@every' needs a duration, e.g. '@every 30s'")
            }
            kind = .every(seconds: try Self.parseDuration(rest))
            return
        }
        var source = Substring(trimmed)
        if lower.hasPrefix("@") {
            guard let expanded = Self.macros[lower] else {
                throw CronError("unknown macro '\(trimmed)'; known: \(Self.macros.keys.sorted().joined(separator: " ")) @every <duration>")
            }
            source = Substring(expanded)
        }
        let parts = source.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 5 || parts.count == 6 else {
            throw CronError("a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 with leading seconds; '\(trimmed)' has \(parts.count)")
        }
        let f = parts.count == 6 ? parts : ["0"] + parts
        let second = try CronField.parse(f[0], name: "second", range: 0...59)
        let minute = try CronField.parse(f[1], name: "minute", range: 0...59)
        let hour = try CronField.parse(f[2], name: "hour", range: 0...23)
        let dom = try CronField.parse(f[3], name: "day-of-month", range: 1...31, allowQuestionMark: true)
        let month = try CronField.parse(f[4], name: "month", range: 1...12, names: Self.monthNames)
        var dow = try CronField.parse(f[5], name: "day-of-week", range: 0...7, names: Self.weekdayNames, allowQuestionMark: true)
        // 7 is Sunday too.
        if dow.contains(7) {
            dow = CronField(bits: (dow.bits | 1) & ~(UInt64(1) << 7), isWildcard: dow.isWildcard, range: 0...6)
        } else {
            dow = CronField(bits: dow.bits, isWildcard: dow.isWildcard, range: 0...6)
        }
        kind = .fields(second: second, minute: minute, hour: hour, dayOfMonth: dom, month: month, dayOfWeek: dow)
        // Day-of-week restricted: some weekday comes in every month, so it fires. Otherwise some allowed month
        // must have an allowed day (Feb 30 never comes; Feb 29 comes in leap years).
        if dow.isWildcard {
            let possible = (1...12).contains { m in
                month.contains(m) && (1...CivilTime.daysInMonth(year: 2000, month: m)).contains { dom.contains($0) }
            }
            guard possible else {
                throw CronError("'\(trimmed)' can never fire: no allowed month has an allowed day of the month")
            }
        }
    }

    /// Parses a duration of whole seconds: `30s`, `5m`, `1h30m`, `2d`, `90` (seconds); at least 1 s, at most 366 days.
    public static func parseDuration(_ text: String) throws -> Int64 {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !t.isEmpty else { throw CronError("'@every' needs a duration, e.g. '@every 30s'") }
        if let n = Int64(t) { return try checked(n, t) }
        var total: Int64 = 0
        var number = ""
        var sawUnit = false
        for ch in t {
            if ch.isASCII, ch.isNumber { number.append(ch); continue }
            let unit: Int64
            switch ch {
            case "d": unit = 86_400
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default: throw CronError("invalid duration '\(text)': use whole numbers with d, h, m, s (e.g. 1h30m)")
            }
            guard let n = Int64(number), n <= 1_000_000 else { throw CronError("invalid duration '\(text)': a unit needs a number before it") }
            total += n * unit
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit else { throw CronError("invalid duration '\(text)': a trailing number needs a unit") }
        return try checked(total, t)
    }

    private static func checked(_ seconds: Int64, _ text: String) throws -> Int64 {
        guard seconds >= 1 else { throw CronError("duration '\(text)' must be at least 1 second") }
        guard seconds <= 366 * 86_400 else { throw CronError("duration '\(text)' is longer than 366 days") }
        return seconds
    }

    /// Whether the wall time matches (calendar expressions only; `@every` matches no wall time).
    public func matches(_ t: CivilTime) -> Bool {
        guard case .fields(let s, let mi, let h, _, let mo, _) = kind else { return false }
        return s.contains(t.second) && mi.contains(t.minute) && h.contains(t.hour) && mo.contains(t.month)
            && dayMatches(year: t.year, month: t.month, day: t.day)
    }

    /// The day rule for the day fields.
    func dayMatches(year: Int, month: Int, day: Int) -> Bool {
        guard case .fields(_, _, _, let dom, _, let dow) = kind else { return false }
        guard day <= CivilTime.daysInMonth(year: year, month: month) else { return false }
        let byDOM = dom.contains(day)
        let byDOW = dow.contains(CivilTime.weekday(year: year, month: month, day: day))
        if dom.isWildcard || dow.isWildcard { return byDOM && byDOW }
        return byDOM || byDOW
    }

    /// The first matching wall time ≥ `from`, searching at most `years` years ahead.
    public func nextWallTime(atOrAfter from: CivilTime, years: Int = 12) -> CivilTime? {
        guard case .fields(let s, let mi, let h, _, let mo, _) = kind else { return nil }
        var t = from
        let lastYear = from.year + years
        while t.year <= lastYear {
            guard let m = mo.next(atLeast: t.month) else {
                t = CivilTime(year: t.year + 1, month: 1, day: 1)
                continue
            }
            if m != t.month { t = CivilTime(year: t.year, month: m, day: 1) }
            if t.day > CivilTime.daysInMonth(year: t.year, month: t.month) || !dayMatches(year: t.year, month: t.month, day: t.day) {
                t = nextDay(t)
                continue
            }
            guard let hh = h.next(atLeast: t.hour) else { t = nextDay(t); continue }
            if hh != t.hour { t.hour = hh; t.minute = 0; t.second = 0 }
            guard let mm = mi.next(atLeast: t.minute) else { t = nextHour(t); continue }
            if mm != t.minute { t.minute = mm; t.second = 0 }
            guard let ss = s.next(atLeast: t.second) else { t = nextMinute(t); continue }
            t.second = ss
            return t
        }
        return nil
    }

    private func nextDay(_ t: CivilTime) -> CivilTime {
        if t.day >= CivilTime.daysInMonth(year: t.year, month: t.month) {
            return t.month == 12 ? CivilTime(year: t.year + 1, month: 1, day: 1) : CivilTime(year: t.year, month: t.month + 1, day: 1)
        }
        return CivilTime(year: t.year, month: t.month, day: t.day + 1)
    }

    private func nextHour(_ t: CivilTime) -> CivilTime {
        t.hour == 23 ? nextDay(t) : CivilTime(year: t.year, month: t.month, day: t.day, hour: t.hour + 1)
    }

    private func nextMinute(_ t: CivilTime) -> CivilTime {
        t.minute == 59 ? nextHour(t) : CivilTime(year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute + 1)
    }

    /// The interval of an `@every` expression, else the shortest gap between two matches is not computed: nil.
    public var everySeconds: Int64? {
        if case .every(let s) = kind { return s }
        return nil
    }
}
