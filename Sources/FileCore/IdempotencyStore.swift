import Crypto
import Domain
import Foundation
import NIOCore
import Storage

/// `Idempotency-Key` for mutating operations, without transport types: the first request with a key runs and
/// its outcome is stored for the configured retention; a later request with the same key and the same
/// fingerprint gets that outcome again without running; the same key with another fingerprint is
/// `IDEMPOTENCY_KEY_REUSED`, and one that arrives while the first still runs is `IDEMPOTENCY_IN_PROGRESS`. An
/// expired key counts as never used. Failures that are not answers (server errors) are not stored, so the
/// client may retry them.
public struct IdempotencyStore: Sendable {
    let core: FileCore

    var repository: IdempotencyRepository { IdempotencyRepository(logger: core.logger) }

    /// A finished outcome, as stored and replayed (the API's status, media type, `Location` and body).
    public struct Outcome: Sendable {
        public var status: Int
        public var contentType: String
        public var location: String?
        public var body: ByteBuffer
        public init(status: Int, contentType: String, location: String?, body: ByteBuffer) {
            self.status = status
            self.contentType = contentType
            self.location = location
            self.body = body
        }
    }

    /// The fingerprint of a request: SHA-256 (hex) over its describing `parts`, one per line, then `body`.
    public static func fingerprint(_ parts: [String], body: ByteBuffer?) -> String {
        var hasher = SHA256()
        for p in parts { hasher.update(data: Data((p + "\n").utf8)) }
        if let body { body.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return hasher.finalize().hexString
    }

    /// Runs `body` at most once per `key` of `tenant`; without a key, just runs it. `answer` turns a failure
    /// that is an answer too (a client error) into the outcome to store, or returns `nil` for one that is not.
    public func run(key: String?, fingerprint: String, tenant: TenantID, answer: (any Error) -> Outcome?,
                    _ body: () async throws -> Outcome) async throws -> (outcome: Outcome, replayed: Bool) {
        guard let key else { return (try await body(), false) }
        guard (1...255).contains(key.utf8.count) else { throw FileError(.invalidRequest, "Idempotency-Key must be 1-255 characters") }
        let repository = self.repository
        // Claim the key, or find what holds it.
        let existing = try await core.database.transaction(tenant) { tx -> IdempotencyRepository.Record? in
            try await core.tenantRepository.ensureTenant(tenant, on: tx)
            if try await repository.claim(key, tenant: tenant, requestHash: fingerprint, retention: core.configuration.idempotencyRetention, on: tx) {
                return nil
            }
            return try await repository.record(key, on: tx)
        }
        if let existing {
            guard existing.requestHash == fingerprint else {
                throw FileError(.idempotencyKeyReused, "Idempotency-Key '\(key.prefix(64))' was used with a different request")
            }
            guard let status = existing.status else {
                throw FileError(.idempotencyInProgress, "a request with Idempotency-Key '\(key.prefix(64))' is still running")
            }
            return (Outcome(status: status, contentType: existing.contentType ?? "application/json", location: existing.location,
                            body: existing.body ?? ByteBuffer()), true)
        }
        let outcome: Outcome
        do {
            outcome = try await body()
        } catch {
            if let stored = answer(error) {
                try await store(stored, key: key, tenant: tenant)
            } else {
                _ = try? await core.database.transaction(tenant) { tx in try await repository.abandon(key, on: tx) }
            }
            throw error
        }
        try await store(outcome, key: key, tenant: tenant)
        return (outcome, false)
    }

    private func store(_ outcome: Outcome, key: String, tenant: TenantID) async throws {
        try await core.database.transaction(tenant) { tx in
            try await repository.store(key, status: outcome.status, contentType: outcome.contentType, location: outcome.location,
                                       body: outcome.body, on: tx)
        }
    }

    /// Deletes up to `limit` of the tenant's expired keys (an expired key is never replayed anyway: a claim takes
    /// it over). For the per-tenant sweep job. Returns how many went.
    @discardableResult
    public func sweepExpired(tenant: TenantID, limit: Int = 1000) async throws -> Int {
        try await core.database.transaction(tenant) { tx in try await repository.deleteExpired(limit: limit, on: tx) }
    }
}
