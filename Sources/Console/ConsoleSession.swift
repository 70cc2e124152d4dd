import Crypto
import Foundation

/// Who is acting in the console: an operator signed in with a session cookie, or a script with a bearer token.
public struct ConsoleSession: Sendable, Hashable {
    /// The token's subject (`sub`), as audited.
    public var subject: String
    public var tenant: String
    /// `jobs:admin`: may act; `jobs:read` only: may look.
    public var canAct: Bool
    /// The session's CSRF token (`nil` for bearer callers, who carry no ambient credential).
    public var csrfToken: String?

    public init(subject: String, tenant: String, canAct: Bool, csrfToken: String?) {
        self.subject = subject
        self.tenant = tenant
        self.canAct = canAct
        self.csrfToken = csrfToken
    }

    /// The actor an audit entry names: `subject@tenant`.
    public var actor: String { "\(subject)@\(tenant)" }
}

/// Random tokens and their hashes for sessions and CSRF.
enum SessionTokens {
    /// 32 random bytes, base64url without padding (43 characters).
    static func random() -> String {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Hex SHA-256 of a cookie token: what the sessions table stores.
    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Compares in time independent of where the strings differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
