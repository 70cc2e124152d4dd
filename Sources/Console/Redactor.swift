import Foundation

/// Replaces the values of personal or secret keys in job args (at any depth) with `"[redacted]"`, by kind
/// (``ConsoleConfiguration/redactedArgs``). Searches still match the stored values; only what is shown is redacted.
public struct Redactor: Sendable {
    let keys: [String: Set<String>]

    public init(_ keys: [String: Set<String>]) { self.keys = keys }

    /// The keys redacted for `kind`.
    public func keys(for kind: String) -> Set<String> { (keys["*"] ?? []).union(keys[kind] ?? []) }

    /// `argsJSON` with the kind's keys redacted, as a JSON value (`[String: Any]`, arrays, scalars).
    public func redact(kind: String, argsJSON: String) -> Any {
        guard let object = try? JSONSerialization.jsonObject(with: Data(argsJSON.utf8), options: [.fragmentsAllowed]) else {
            return argsJSON
        }
        return redact(object, keys(for: kind))
    }

    func redact(_ value: Any, _ keys: Set<String>) -> Any {
        if let o = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (k, v) in o { out[k] = keys.contains(k.lowercased()) ? "[redacted]" : redact(v, keys) }
            return out
        }
        if let a = value as? [Any] { return a.map { redact($0, keys) } }
        return value
    }

    /// Whether `kind`'s args carry any redacted key, so editing them would lose data the page never showed.
    public func hidesSomething(kind: String, argsJSON: String) -> Bool {
        let shown = redact(kind: kind, argsJSON: argsJSON)
        guard let original = try? JSONSerialization.jsonObject(with: Data(argsJSON.utf8), options: [.fragmentsAllowed]) else { return false }
        return !NSDictionary(dictionary: ["v": shown]).isEqual(to: ["v": original])
    }
}
