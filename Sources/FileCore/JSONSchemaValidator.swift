import Foundation

/// Validates JSON values against the subset of JSON Schema 2020-12 the committed event schemas use: `type` (one
/// or a list), `required`, `properties`, `additionalProperties: false`, `const`, `enum`, `pattern`, `minLength`,
/// `maxLength`, `minimum`, `format: date-time`. A keyword it does not know is refused when the schema is loaded,
/// so a schema cannot silently rely on more than is checked.
public struct JSONSchemaValidator: Sendable {
    let schema: JSONValue

    static let known: Set<String> = ["$schema", "$id", "title", "description", "type", "required", "properties", "additionalProperties",
                                     "const", "enum", "pattern", "minLength", "maxLength", "minimum", "format"]

    public struct UnsupportedSchema: Error, CustomStringConvertible { public var description: String }

    public init(json text: String) throws {
        guard let schema = JSONValue.parse(Array(text.utf8)), case .object = schema else { throw UnsupportedSchema(description: "not a JSON object") }
        try Self.checkKeywords(schema)
        self.schema = schema
    }

    static func checkKeywords(_ schema: JSONValue) throws {
        guard case .object(let o) = schema else { return }
        for key in o.keys where !known.contains(key) { throw UnsupportedSchema(description: "unsupported schema keyword \(key)") }
        if case .object(let properties)? = o["properties"] { for sub in properties.values { try checkKeywords(sub) } }
    }

    /// The problems of `value` (empty: valid), each naming its path.
    public func problems(_ value: JSONValue) -> [String] {
        var out: [String] = []
        Self.check(value, against: schema, path: "$", into: &out)
        return out
    }

    static func check(_ v: JSONValue, against s: JSONValue, path: String, into out: inout [String]) {
        if let t = s["type"] {
            let allowed: [String] = if case .array(let a) = t { a.compactMap(\.string) } else { [t.string ?? ""] }
            if !(allowed.contains(v.typeName) || (v.typeName == "integer" && allowed.contains("number"))) {
                out.append("\(path) is \(v.typeName), not \(allowed.joined(separator: " or "))")
                return
            }
        }
        if let c = s["const"], c != v { out.append("\(path) must be \(c)") }
        if case .array(let e)? = s["enum"], !e.contains(v) { out.append("\(path) is not one of the allowed values") }
        if case .string(let text) = v {
            if let p = s["pattern"]?.string, text.range(of: p, options: .regularExpression) == nil { out.append("\(path) does not match \(p)") }
            if let m = s["minLength"]?.int64, text.count < m { out.append("\(path) is shorter than \(m)") }
            if let m = s["maxLength"]?.int64, text.count > m { out.append("\(path) is longer than \(m)") }
            if s["format"]?.string == "date-time", !isDateTime(text) { out.append("\(path) is not an RFC 3339 date-time") }
        }
        if let m = s["minimum"]?.int64 {
            if case .integer(let i) = v, i < m { out.append("\(path) is below \(m)") }
            if case .number(let d) = v, d < Double(m) { out.append("\(path) is below \(m)") }
        }
        if case .object(let object) = v {
            let properties: [String: JSONValue] = if case .object(let p)? = s["properties"] { p } else { [:] }
            if case .array(let required)? = s["required"] {
                for key in required.compactMap(\.string) where object[key] == nil { out.append("\(path).\(key) is required") }
            }
            for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                if let sub = properties[key] {
                    check(value, against: sub, path: "\(path).\(key)", into: &out)
                } else if s["additionalProperties"] == .bool(false) {
                    out.append("\(path).\(key) is not allowed")
                }
            }
        }
    }

    static func isDateTime(_ text: String) -> Bool {
        let f = ISO8601DateFormatter()
        if f.date(from: text) != nil { return true }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text) != nil
    }
}
