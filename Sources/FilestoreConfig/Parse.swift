import Foundation

/// Parsers of setting values: each returns `nil` for text it does not accept (the caller names the variable).
enum Parse {
    /// A whole number in `range`.
    static func int(_ text: String, in range: ClosedRange<Int>) -> Int? {
        Int(text.trimmingCharacters(in: .whitespaces)).flatMap { range.contains($0) ? $0 : nil }
    }

    /// A TCP port, 1-65535 (or 0 when `allowZero`, meaning off).
    static func port(_ text: String, allowZero: Bool = false) -> Int? {
        int(text, in: (allowZero ? 0 : 1)...65535)
    }

    /// A number of seconds (fractions allowed) at least `minimum`; a trailing `s` is accepted.
    static func seconds(_ text: String, minimum: Double = 0) -> Double? {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("s") { t.removeLast() }
        guard let n = Double(t), n.isFinite, n >= minimum else { return nil }
        return n
    }

    /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (any case).
    static func bool(_ text: String) -> Bool? {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: return nil
        }
    }

    /// One of an enumeration's raw values, in any case.
    static func choice<E: RawRepresentable & CaseIterable>(_ text: String, _: E.Type = E.self) -> E? where E.RawValue == String {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        return E.allCases.first { $0.rawValue.lowercased() == t }
    }

    /// The raw values of an enumeration, for messages: `json or text`, `a, b or c`.
    static func choices<E: RawRepresentable & CaseIterable>(_: E.Type) -> String where E.RawValue == String {
        let names = E.allCases.map(\.rawValue)
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    /// An absolute `http` or `https` URL with a host and no query or fragment; a trailing `/` is dropped.
    static func httpURL(_ text: String) -> URL? {
        var t = text.trimmingCharacters(in: .whitespaces)
        while t.hasSuffix("/") { t.removeLast() }
        guard let c = URLComponents(string: t), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty, c.query == nil, c.fragment == nil, c.user == nil else { return nil }
        return URL(string: t)
    }
}
