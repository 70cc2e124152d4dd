import Foundation

/// A decoded `application/x-www-form-urlencoded` body or query: repeated keys keep every value, in order.
public struct FormData: Sendable, Hashable {
    public var pairs: [(String, String)] {
        get { storage.map { ($0.key, $0.value) } }
        set { storage = newValue.map { Pair(key: $0.0, value: $0.1) } }
    }
    struct Pair: Sendable, Hashable { var key: String; var value: String }
    var storage: [Pair] = []

    public init(_ text: String) {
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(String(kv[0]))
            let value = kv.count > 1 ? Self.decode(String(kv[1])) : ""
            if let key { storage.append(Pair(key: key, value: value ?? "")) }
        }
    }

    static func decode(_ s: String) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }

    /// The first value of `key`, `nil` when absent; an empty value counts as absent.
    public subscript(_ key: String) -> String? {
        guard let v = storage.first(where: { $0.key == key })?.value, !v.isEmpty else { return nil }
        return v
    }

    /// Every value of `key`.
    public func all(_ key: String) -> [String] { storage.filter { $0.key == key }.map(\.value) }
}
