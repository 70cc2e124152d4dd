import Domain
import FileCore
import Foundation
import JWTKit

/// The claims of a filestore bearer token: `sub`, `tenant`, `scope` (space-separated), `iat`, `exp` (both
/// required) and an optional `nbf`.
public struct TokenPayload: JWTPayload, Sendable {
    public var sub: SubjectClaim
    public var tenant: String
    public var scope: String
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    public var nbf: NotBeforeClaim?

    public init(subject: String, tenant: TenantID, scopes: [Scope], issuedAt: Date = Date(), ttl: TimeInterval, notBefore: Date? = nil) {
        self.sub = SubjectClaim(value: subject)
        self.tenant = tenant.value
        self.scope = scopes.map(\.rawValue).joined(separator: " ")
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: issuedAt.addingTimeInterval(ttl))
        self.nbf = notBefore.map { NotBeforeClaim(value: $0) }
    }

    /// JWTKit's check, with the clock now; ``TokenKeys/verify(_:now:)`` checks the times against its own clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try checkTimes(now: Date(), leeway: TokenKeys.clockLeeway)
    }

    /// Refuses a token that expired (no leeway: `exp` is the issuer's promise), or whose `nbf` or `iat` lies more
    /// than `leeway` seconds ahead of `now` (clock skew between issuer and service is allowed up to that).
    func checkTimes(now: Date, leeway: TimeInterval) throws {
        guard exp.value > now else { throw TokenRejected("token expired") }
        if let nbf, nbf.value > now.addingTimeInterval(leeway) { throw TokenRejected("token is not valid yet (nbf)") }
        guard iat.value <= now.addingTimeInterval(leeway) else { throw TokenRejected("token is issued in the future (iat)") }
    }

    func identity() throws -> Identity {
        let scopes = Set(scope.split(separator: " ").compactMap { Scope(rawValue: String($0)) })
        return Identity(subject: sub.value, tenant: try TenantID(tenant), scopes: scopes)
    }
}

/// Why a token was refused (kept out of the response: the client only sees `UNAUTHENTICATED`).
struct TokenRejected: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The HMAC keys tokens are signed with, by key id. Several at once, so keys rotate: sign with the first,
/// accept all. Read from `FILESTORE_JWT_KEYS` (`kid=secret,kid2=secret2`) or the file named by
/// `FILESTORE_JWT_KEYS_FILE` (one `kid=secret` per line).
///
/// A token verifies only with the one key its header's `kid` names: a token without `kid`, with an unknown
/// `kid`, or with any `alg` but `HS256` (`none` included) is refused without trying another key.
public struct TokenKeys: Sendable {
    /// How far ahead of the service's clock a token's `nbf` and `iat` may be: 60 seconds.
    public static let clockLeeway: TimeInterval = 60
    /// The longest token the service reads (bytes); longer ones are refused before any parsing.
    public static let maximumTokenBytes = 8192

    public let keys: [(kid: String, secret: String)]
    let collection: JWTKeyCollection
    /// One collection per key id, each holding only that key, so that verification can use no other.
    let byKid: [String: JWTKeyCollection]

    public init(_ keys: [(kid: String, secret: String)]) async throws {
        guard !keys.isEmpty else { throw FileError(.invalidRequest, "no JWT keys configured (FILESTORE_JWT_KEYS)") }
        for k in keys where k.secret.utf8.count < 32 {
            throw FileError(.invalidRequest, "JWT key '\(k.kid)' is shorter than 32 bytes")
        }
        for (i, k) in keys.enumerated() where k.kid.isEmpty || keys[..<i].contains(where: { $0.kid == k.kid }) {
            throw FileError(.invalidRequest, "JWT key id '\(k.kid)' is empty or given twice")
        }
        self.keys = keys
        let collection = JWTKeyCollection()
        var byKid: [String: JWTKeyCollection] = [:]
        for k in keys {
            let key = HMACKey(from: Array(k.secret.utf8))
            await collection.add(hmac: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: k.kid))
            let single = JWTKeyCollection()
            await single.add(hmac: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: k.kid))
            byKid[k.kid] = single
        }
        self.collection = collection
        self.byKid = byKid
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

    /// The protected header fields the service reads.
    struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    /// Verifies the signature with exactly the key the header's `kid` names, then `exp`, `nbf` and `iat` against
    /// `now` (``clockLeeway``); `UNAUTHENTICATED` otherwise, never saying which check failed.
    public func verify(_ token: String, now: Date = Date()) async throws -> Identity {
        do {
            guard token.utf8.count <= Self.maximumTokenBytes else { throw TokenRejected("token too long") }
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, let headerData = URLSigner.decodeBase64url(String(parts[0])) else {
                throw TokenRejected("not a compact JWS")
            }
            let header = try JSONDecoder().decode(Header.self, from: headerData)
            guard header.alg == "HS256" else { throw TokenRejected("alg must be HS256") }
            guard let kid = header.kid, let keyCollection = byKid[kid] else { throw TokenRejected("kid names no configured key") }
            let payload = try await keyCollection.verify(token, as: TokenPayload.self)
            try payload.checkTimes(now: now, leeway: Self.clockLeeway)
            return try payload.identity()
        } catch let error as FileError {
            throw FileError(.unauthenticated, "token names an invalid tenant: \(error.message)")
        } catch {
            throw FileError(.unauthenticated, "invalid bearer token")
        }
    }
}
