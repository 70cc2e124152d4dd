import Domain
import FileCore
import Foundation
import JWTKit

/// The claims of a filestore bearer token: `sub`, `tenant`, `scope` (space-separated), `iat`, `exp`.
public struct TokenPayload: JWTPayload, Sendable {
    public var sub: SubjectClaim
    public var tenant: String
    public var scope: String
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim

    public init(subject: String, tenant: TenantID, scopes: [Scope], issuedAt: Date = Date(), ttl: TimeInterval) {
        self.sub = SubjectClaim(value: subject)
        self.tenant = tenant.value
        self.scope = scopes.map(\.rawValue).joined(separator: " ")
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: issuedAt.addingTimeInterval(ttl))
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }

    func identity() throws -> Identity {
        let scopes = Set(scope.split(separator: " ").compactMap { Scope(rawValue: String($0)) })
        return Identity(subject: sub.value, tenant: try TenantID(tenant), scopes: scopes)
    }
}

/// The HMAC keys tokens are signed with, by key id. Several at once, so keys rotate: sign with the first,
/// accept all. Read from `FILESTORE_JWT_KEYS` (`kid=secret,kid2=secret2`) or the file named by
/// `FILESTORE_JWT_KEYS_FILE` (one `kid=secret` per line).
public struct TokenKeys: Sendable {
    public let keys: [(kid: String, secret: String)]
    let collection: JWTKeyCollection

    public init(_ keys: [(kid: String, secret: String)]) async throws {
        guard !keys.isEmpty else { throw FileError(.invalidRequest, "no JWT keys configured (FILESTORE_JWT_KEYS)") }
        for k in keys where k.secret.utf8.count < 32 {
            throw FileError(.invalidRequest, "JWT key '\(k.kid)' is shorter than 32 bytes")
        }
        self.keys = keys
        let collection = JWTKeyCollection()
        for k in keys {
            await collection.add(hmac: HMACKey(from: Array(k.secret.utf8)), digestAlgorithm: .sha256, kid: JWKIdentifier(string: k.kid))
        }
        self.collection = collection
    }

    /// Parses `kid=secret` pairs separated by commas or newlines.
    public static func parse(_ text: String) -> [(kid: String, secret: String)] {
        text.split(whereSeparator: { $0 == "," || $0 == "\n" }).compactMap { part in
            let bits = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard bits.count == 2, !bits[0].isEmpty, !bits[1].isEmpty else { return nil }
            return (bits[0], bits[1])
        }
    }

    /// Mints a token with the first (current) key.
    public func issue(_ payload: TokenPayload) async throws -> String {
        try await collection.sign(payload, kid: JWKIdentifier(string: keys[0].kid))
    }

    /// Verifies signature (any configured key, by `kid`) and expiry; `UNAUTHENTICATED` otherwise.
    public func verify(_ token: String) async throws -> Identity {
        do {
            return try await collection.verify(token, as: TokenPayload.self).identity()
        } catch let error as FileError {
            throw FileError(.unauthenticated, "token names an invalid tenant: \(error.message)")
        } catch {
            throw FileError(.unauthenticated, "invalid bearer token")
        }
    }
}
