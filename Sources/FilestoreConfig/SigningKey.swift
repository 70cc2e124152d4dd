import Foundation

/// One HMAC key: an id clients and URLs name, and its secret (32 bytes or more). Its description never shows
/// the secret.
public struct SigningKey: Sendable, Hashable, CustomStringConvertible {
    public var kid: String
    public var secret: String

    public init(kid: String, secret: String) {
        self.kid = kid
        self.secret = secret
    }

    /// The form `TokenKeys` and `URLSigner` take.
    public var pair: (kid: String, secret: String) { (kid, secret) }

    public var description: String { "\(kid)=<redacted>" }

    /// What a key list accepts, for messages.
    static let accepted = "kid=secret pairs separated by commas or newlines, ids of A-Z a-z 0-9 _ -, secrets of 32+ bytes"

    /// Parses `kid=secret` pairs separated by commas or newlines (blank parts ignored). Throws on a part that is
    /// not `kid=secret`, a bad id, a repeated id or a short secret — never naming the secret.
    static func parseList(_ text: String) throws -> [SigningKey] {
        var keys: [SigningKey] = []
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == "\r" }) {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let bits = trimmed.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard bits.count == 2, !bits[0].isEmpty, !bits[1].isEmpty else {
                throw ListError("a part is not kid=secret (part \(keys.count + 1))")
            }
            let kid = bits[0]
            guard kid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw ListError("key id '\(kid)' has characters other than A-Z a-z 0-9 _ -")
            }
            guard !keys.contains(where: { $0.kid == kid }) else { throw ListError("key id '\(kid)' is given twice") }
            guard bits[1].utf8.count >= 32 else { throw ListError("the secret of key '\(kid)' is shorter than 32 bytes") }
            keys.append(SigningKey(kid: kid, secret: bits[1]))
        }
        return keys
    }

    struct ListError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
