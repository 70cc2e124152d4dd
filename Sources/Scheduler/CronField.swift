/// One field of a cron expression as the set of values it allows (a bit per value).
public struct CronField: Sendable, Hashable {
    /// Bit `v` set ⇔ value `v` is allowed.
    public let bits: UInt64
    /// Whether the field was written as `*` (or `?`): for the day fields this decides cron's OR rule.
    public let isWildcard: Bool
    public let range: ClosedRange<Int>

    init(bits: UInt64, isWildcard: Bool, range: ClosedRange<Int>) {
        self.bits = bits
        self.isWildcard = isWildcard
        self.range = range
    }

    /// Every value of `range`.
    static func all(_ range: ClosedRange<Int>) -> CronField {
        var bits: UInt64 = 0
        for v in range { bits |= 1 << UInt64(v) }
        return CronField(bits: bits, isWildcard: true, range: range)
    }

    /// Only `value`.
    static func single(_ value: Int, in range: ClosedRange<Int>) -> CronField {
        CronField(bits: 1 << UInt64(value), isWildcard: false, range: range)
    }

    public func contains(_ value: Int) -> Bool {
        value >= 0 && value < 64 && bits & (1 << UInt64(value)) != 0
    }

    /// The smallest allowed value ≥ `value`, if any.
    func next(atLeast value: Int) -> Int? {
        guard value <= range.upperBound else { return nil }
        let from = max(value, 0)
        let masked = bits >> UInt64(from)
        guard masked != 0 else { return nil }
        let v = from + masked.trailingZeroBitCount
        return v <= range.upperBound ? v : nil
    }

    /// The smallest allowed value.
    var first: Int { bits.trailingZeroBitCount }

    /// Parses one field: `*`, `?` (day fields), `N`, `A-B`, `*/S`, `A-B/S`, `A/S`, lists of these, and names.
    static func parse(_ text: Substring, name: String, range: ClosedRange<Int>, names: [String: Int] = [:],
                      allowQuestionMark: Bool = false) throws -> CronField {
        if text == "*" || (allowQuestionMark && text == "?") { return .all(range) }
        var bits: UInt64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw CronError("empty list item in the \(name) field '\(text)'") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw CronError("more than one '/' in the \(name) field '\(part)'") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else {
                    throw CronError("step '\(pieces[1])' in the \(name) field must be a positive whole number")
                }
                step = s
            }
            let base = pieces[0]
            var low: Int, high: Int
            if base == "*" || (allowQuestionMark && base == "?") {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[base.startIndex..<dash], name: name, range: range, names: names)
                high = try value(base[base.index(after: dash)...], name: name, range: range, names: names)
                guard low <= high else { throw CronError("range '\(base)' in the \(name) field runs backwards") }
            } else {
                low = try value(base, name: name, range: range, names: names)
                // `N/S` means from N to the end in steps of S.
                high = pieces.count == 2 ? range.upperBound : low
            }
            var v = low
            while v <= high {
                bits |= 1 << UInt64(v)
                v += step
            }
        }
        return CronField(bits: bits, isWildcard: false, range: range)
    }

    private static func value(_ text: Substring, name: String, range: ClosedRange<Int>, names: [String: Int]) throws -> Int {
        if let v = Int(text) {
            guard range.contains(v) else { throw CronError("\(v) is outside the \(name) field's \(range.lowerBound)-\(range.upperBound)") }
            return v
        }
        if let v = names[text.lowercased()] { return v }
        throw CronError("'\(text)' is not a valid \(name) value")
    }
}
