import Foundation
import FileCore
import JobKit

/// `values` without its `nil`s: Mustache renders a present `Optional.none` as text, so absent means absent.
func compact(_ values: [String: Any?]) -> [String: Any] {
    var out: [String: Any] = [:]
    for (k, v) in values { if let v { out[k] = v } }
    return out
}

/// Times as the console shows and the API sends them: ISO 8601 in UTC, to the second.
func isoTime(_ date: Date?) -> String? {
    guard let date else { return nil }
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    return f.string(from: date)
}

/// A duration in seconds as people read it: `42s`, `5m 3s`, `2h 10m`, `3d 4h`.
func ageText(_ seconds: Double?) -> String? {
    guard let seconds else { return nil }
    let s = Int(seconds.rounded())
    if s < 60 { return "\(max(0, s))s" }
    if s < 3600 { return "\(s / 60)m \(s % 60)s" }
    if s < 86400 { return "\(s / 3600)h \((s % 3600) / 60)m" }
    return "\(s / 86400)d \((s % 86400) / 3600)h"
}

/// A rate as a percentage with one decimal.
func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }

/// JSON text of a JSON value (sorted keys, slashes as they are).
func jsonText(_ value: Any, pretty: Bool = false) -> String {
    guard JSONSerialization.isValidJSONObject(["v": value]) else { return "\(value)" }
    var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]
    if pretty { options.insert(.prettyPrinted) }
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: options) else { return "\(value)" }
    return String(decoding: data, as: UTF8.self)
}

extension JSONValue {
    /// The value as Foundation's JSON objects, for `JSONSerialization`.
    var foundation: Any {
        switch self {
        case .null: NSNull()
        case .bool(let b): b
        case .integer(let i): i
        case .number(let d): d
        case .string(let s): s
        case .array(let a): a.map(\.foundation)
        case .object(let o): o.mapValues(\.foundation)
        }
    }
}
