import Crypto
import Domain
import Foundation

/// Signs and verifies download URLs: HMAC-SHA256, under a key id so keys rotate without breaking live
/// URLs, scoped to tenant, file, variant and method, with an expiry and the file's URL generation (bumping
/// it revokes every URL issued before). Keys come from `FILESTORE_URL_KEYS` (`kid=secret,…`; the first signs).
public struct URLSigner: Sendable {
    /// What a signed URL grants.
    public struct Grant: Sendable, Hashable {
        public var method: String
        public var tenant: TenantID
        public var file: PrefixedID
        public var variant: String
        public var expires: Int64
        public var generation: Int
        public var kid: String
    }

    let keys: [(kid: String, key: SymmetricKey)]
    /// The longest lifetime a URL may be given. Default: 1 hour.
    public let maximumTTL: TimeInterval

    public init(keys: [(kid: String, secret: String)], maximumTTL: TimeInterval = 3600) throws {
        guard !keys.isEmpty else { throw FileError(.invalidRequest, "no URL signing keys configured (FILESTORE_URL_KEYS)") }
        for k in keys where k.secret.utf8.count < 32 || !k.kid.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            throw FileError(.invalidRequest, "URL key '\(k.kid)' must have a [A-Za-z0-9_-] id and a secret of 32+ bytes")
        }
        self.keys = keys.map { ($0.kid, SymmetricKey(data: Data($0.secret.utf8))) }
        self.maximumTTL = maximumTTL
    }

    static func canonical(_ g: Grant) -> String {
        [g.method, g.tenant.value, g.file.description, g.variant, String(g.expires), String(g.generation), g.kid].joined(separator: "\n")
    }

    static func base64url(_ data: some Sequence<UInt8>) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The path and query of a signed download URL for `file`, valid for `ttl` (capped at `maximumTTL`).
    public func sign(tenant: TenantID, file: PrefixedID, variant: String, generation: Int, ttl: TimeInterval,
                     method: String = "GET", now: Date = Date()) -> (path: String, expires: Date) {
        let expires = Int64(now.timeIntervalSince1970 + min(max(1, ttl), maximumTTL))
        let grant = Grant(method: method, tenant: tenant, file: file, variant: variant, expires: expires, generation: generation, kid: keys[0].kid)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(Self.canonical(grant).utf8), using: keys[0].key)
        let path = "/v1/download/\(tenant.value)/\(file)/\(variant)?exp=\(expires)&gen=\(generation)&kid=\(grant.kid)&sig=\(Self.base64url(mac))"
        return (path, Date(timeIntervalSince1970: Double(expires)))
    }

    /// Checks a presented URL's signature (in constant time) and expiry; returns what it grants.
    /// The caller still checks the generation against the file and the file's state.
    public func verify(method: String, tenant: String, file: String, variant: String, query: [String: String], now: Date = Date()) throws -> Grant {
        guard let exp = query["exp"].flatMap(Int64.init), let gen = query["gen"].flatMap(Int.init), let kid = query["kid"],
              let sig = query["sig"], let tenantID = try? TenantID(tenant), let fileID = PrefixedID(parsing: file, as: .file) else {
            throw FileError(.signatureInvalid, "the signed URL is incomplete or malformed")
        }
        guard let key = keys.first(where: { $0.kid == kid })?.key else {
            throw FileError(.signatureInvalid, "the signed URL's key is not known")
        }
        // HEAD is allowed wherever GET is.
        let signedMethod = method == "HEAD" ? "GET" : method
        let grant = Grant(method: signedMethod, tenant: tenantID, file: fileID, variant: variant, expires: exp, generation: gen, kid: kid)
        guard let presented = Self.decodeBase64url(sig),
              HMAC<SHA256>.isValidAuthenticationCode(presented, authenticating: Data(Self.canonical(grant).utf8), using: key) else {
            throw FileError(.signatureInvalid, "the signed URL's signature does not match")
        }
        guard Double(exp) > now.timeIntervalSince1970 else { throw FileError(.urlExpired, "the signed URL expired") }
        return grant
    }

    /// Decodes base64url without padding (`nil` when it is not).
    public static func decodeBase64url(_ text: String) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
