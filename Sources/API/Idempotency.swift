import Crypto
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import Storage

/// `Idempotency-Key` for mutating endpoints. The first request with a key runs and its response (status,
/// JSON body, Location) is stored for `retention`; a later request with the same key and the same request
/// fingerprint gets that response again (`Idempotent-Replayed: true`) without running; the same key with a
/// different fingerprint is `IDEMPOTENCY_KEY_REUSED` (422), and one that arrives while the first still runs is
/// `IDEMPOTENCY_IN_PROGRESS` (409). Server errors are not stored, so the client may retry them.
///
/// The fingerprint is the method, the path and the request's describing headers (Content-Length,
/// Content-Type, Content-Digest, Upload-Filename) plus, for small JSON bodies, the body itself — an upload's
/// bytes are not hashed twice; send `Content-Digest` to bind the key to the content.
public struct Idempotency: Sendable {
    let database: TenantDatabase
    /// How long a key is remembered. Default: 24 hours.
    public var retention: TimeInterval

    public init(database: TenantDatabase, retention: TimeInterval = 24 * 3600) {
        self.database = database
        self.retention = retention
    }

    /// A finished response to store and return.
    public struct Outcome: Sendable {
        var status: HTTPResponse.Status
        var contentType: String
        var location: String?
        var body: ByteBuffer
    }

    /// Runs `body` at most once per key; without a key, just runs it.
    public func run(_ request: Request, identity: Identity, bodyBytes: ByteBuffer? = nil,
                    _ body: () async throws -> Outcome) async throws -> Response {
        guard let key = request.headers[.idempotencyKey] else { return Self.response(try await body(), replayed: false) }
        guard (1...255).contains(key.utf8.count) else { throw FileError(.invalidRequest, "Idempotency-Key must be 1-255 characters") }
        let fingerprint = Self.fingerprint(request, body: bodyBytes)
        let tenant = identity.tenant
        // Claim the key, or find what holds it.
        let existing: (hash: String, status: Int32?, type: String?, location: String?, body: ByteBuffer?)? = try await database.transaction(tenant) { tx in
            try await tx.query("INSERT INTO tenants (id, name) VALUES (\(tenant.value), \(tenant.value)) ON CONFLICT (id) DO NOTHING", logger: database.logger)
            // Expired keys of this tenant go now (row-level security scopes the statement to the tenant).
            try await tx.query("DELETE FROM idempotency_keys WHERE expires_at < now()", logger: database.logger)
            let claimed = try await tx.query("""
                INSERT INTO idempotency_keys (tenant_id, key, request_hash, expires_at)
                VALUES (\(tenant.value), \(key), \(fingerprint), now() + \(Int64(retention)) * interval '1 second')
                ON CONFLICT (tenant_id, key) DO NOTHING RETURNING 1
                """, logger: database.logger)
            for try await _ in claimed { return nil }
            let rows = try await tx.query("SELECT request_hash, status, content_type, location, body FROM idempotency_keys WHERE key = \(key)",
                                          logger: database.logger)
            for try await row in rows.decode((String, Int32?, String?, String?, ByteBuffer?).self) { return row }
            return nil
        }
        if let existing {
            guard existing.hash == fingerprint else {
                throw FileError(.idempotencyKeyReused, "Idempotency-Key '\(key.prefix(64))' was used with a different request")
            }
            guard let status = existing.status else {
                throw FileError(.idempotencyInProgress, "a request with Idempotency-Key '\(key.prefix(64))' is still running")
            }
            return Self.response(Outcome(status: .init(code: Int(status)), contentType: existing.type ?? "application/json",
                                         location: existing.location, body: existing.body ?? ByteBuffer()), replayed: true)
        }
        do {
            let outcome = try await body()
            try await store(outcome, key: key, tenant: tenant)
            return Self.response(outcome, replayed: false)
        } catch let error as FileError where error.code.status < 500 {
            // A client error is an answer too: the same request gets it again.
            let response = ErrorMiddleware<BasicRequestContext>.errorBody(error)
            try await store(Outcome(status: .init(code: error.code.status), contentType: "application/json; charset=utf-8",
                                    location: nil, body: response), key: key, tenant: tenant)
            throw error
        } catch {
            _ = try? await database.transaction(tenant) { tx in
                try await tx.query("DELETE FROM idempotency_keys WHERE key = \(key) AND status IS NULL", logger: database.logger)
            }
            throw error
        }
    }

    private func store(_ outcome: Outcome, key: String, tenant: TenantID) async throws {
        try await database.transaction(tenant) { tx in
            try await tx.query("""
                UPDATE idempotency_keys SET status = \(Int32(outcome.status.code)), content_type = \(outcome.contentType),
                       location = \(outcome.location), body = \(outcome.body)
                WHERE key = \(key)
                """, logger: database.logger)
        }
    }

    static func fingerprint(_ request: Request, body: ByteBuffer?) -> String {
        var hasher = SHA256()
        let parts = [request.method.rawValue, request.uri.path] + [HTTPField.Name.contentLength, .contentType, .contentDigest, .uploadFilename]
            .map { request.headers[$0] ?? "" }
        for p in parts { hasher.update(data: Data((p + "\n").utf8)) }
        if let body { body.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func response(_ outcome: Outcome, replayed: Bool) -> Response {
        var headers: HTTPFields = [.contentType: outcome.contentType]
        if let location = outcome.location { headers[.location] = location }
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(status: outcome.status, headers: headers, body: .init(byteBuffer: outcome.body))
    }

    /// A JSON outcome.
    public static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, location: String? = nil) throws -> Outcome {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return Outcome(status: status, contentType: "application/json; charset=utf-8", location: location,
                       body: ByteBuffer(data: try encoder.encode(value)))
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
