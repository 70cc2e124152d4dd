import Crypto
import Foundation

/// Standard Webhooks signing (https://www.standardwebhooks.com): the secret is `whsec_` + base64 of the key;
/// the signature is `v1,` + base64 of HMAC-SHA256(key, `<webhook-id>.<webhook-timestamp>.<body>`); during a
/// rotation both secrets sign, space-separated.
public enum WebhookSigner {
    public static let secretPrefix = "whsec_"

    /// A new secret: `whsec_` + base64 of `bytes` random bytes (24…64). Default: 32.
    public static func newSecret(bytes: Int = 32) -> String {
        var rng = SystemRandomNumberGenerator()
        let key = (0..<min(64, max(24, bytes))).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return secretPrefix + Data(key).base64EncodedString()
    }

    /// The key bytes of a `whsec_…` secret, or `nil` when it is malformed.
    public static func key(of secret: String) -> [UInt8]? {
        let body = secret.hasPrefix(secretPrefix) ? String(secret.dropFirst(secretPrefix.count)) : secret
        guard let data = Data(base64Encoded: body), !data.isEmpty else { return nil }
        return Array(data)
    }

    /// `v1,<base64>` for one secret.
    public static func signature(secret: String, id: String, timestamp: Int, body: [UInt8]) -> String? {
        guard let key = key(of: secret) else { return nil }
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The three headers of a delivery signed by each of `secrets`.
    public static func headers(id: String, timestamp: Int, body: [UInt8], secrets: [String]) -> [(String, String)] {
        let signatures = secrets.compactMap { signature(secret: $0, id: id, timestamp: timestamp, body: body) }
        return [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signatures.joined(separator: " "))]
    }

    /// Verifies a signed message (the inbox): some `v1,` signature in `signatureHeader` matches one of `secrets`,
    /// and `timestamp` lies within `tolerance` seconds of `now`.
    public static func verify(id: String, timestampText: String, signatureHeader: String, body: [UInt8], secrets: [String],
                              now: Date = Date(), tolerance: TimeInterval = 300) -> Bool {
        guard let timestamp = Int(timestampText), abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let offered = signatureHeader.split(separator: " ").map(String.init).filter { $0.hasPrefix("v1,") }
        for secret in secrets {
            guard let expected = signature(secret: secret, id: id, timestamp: timestamp, body: body) else { continue }
            for candidate in offered where constantTimeEqual(Array(candidate.utf8), Array(expected.utf8)) { return true }
        }
        return false
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
