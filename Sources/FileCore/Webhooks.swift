import Domain
import Foundation
import JobKit
import Storage

/// The tenant's webhook endpoints (scope `webhooks:admin`): create, list, read, change, delete, rotate the
/// secret, read the attempt log, replay from the dead letter.
public struct Webhooks: Sendable {
    let core: FileCore

    var configuration: WebhookConfiguration { core.configuration.webhooks }
    var repository: WebhookRepository { WebhookRepository(logger: core.logger, sealer: core.configuration.secretSealer) }
    var policy: WebhookURLPolicy { WebhookURLPolicy(allowPrivate: configuration.allowPrivate) }

    /// Changes to an endpoint; `nil` leaves a field as it is.
    public struct Change: Sendable {
        public var url: String?
        public var topics: [String]?
        public var description: String??
        public var enabled: Bool?
        public init(url: String? = nil, topics: [String]? = nil, description: String?? = nil, enabled: Bool? = nil) {
            self.url = url
            self.topics = topics
            self.description = description
            self.enabled = enabled
        }
    }

    /// Topics an endpoint may subscribe to: exact names (`file.ready.v1`) or a prefix pattern (`file.*`).
    public static func validateTopics(_ topics: [String]) throws {
        guard (1...64).contains(topics.count) else { throw FileError(.invalidRequest, "topics must list 1 to 64 topics") }
        for topic in topics {
            let pattern = topic.hasSuffix(".*") ? String(topic.dropLast(2)) : topic
            let ok = !pattern.isEmpty && pattern.utf8.count <= 128
                && pattern.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 46 || $0 == 95 }
            let known = EventTopics.emitted.contains(topic) || EventTopics.emitted.contains { $0.hasPrefix(pattern + ".") }
            guard ok, known else {
                throw FileError(.invalidRequest, "unknown topic '\(topic.prefix(128))'; topics are \(EventTopics.emitted.sorted().joined(separator: ", ")) or a prefix such as file.*")
            }
        }
    }

    static func validateDescription(_ d: String?) throws {
        if let d, d.utf8.count > 512 { throw FileError(.invalidRequest, "description is at most 512 bytes") }
    }

    /// Creates an endpoint with a fresh secret (returned once, in the record).
    public func create(url: String, topics: [String], description: String?, as identity: Identity) async throws -> WebhookEndpointRecord {
        try identity.require(.webhooksAdmin)
        try Self.validateTopics(topics)
        try Self.validateDescription(description)
        try await policy.checkResolved(url)
        let now = Date()
        let endpoint = WebhookEndpointRecord(id: PrefixedID(.webhook), tenant: identity.tenant, url: url, topics: topics,
                                             description: description, enabled: true, disabledReason: nil,
                                             secret: WebhookSigner.newSecret(), previousSecret: nil, previousExpiresAt: nil,
                                             failingSince: nil, createdAt: now, updatedAt: now)
        try await core.database.transaction(identity.tenant) { tx in
            try await core.tenantRepository.ensureTenant(identity.tenant, on: tx)
            try await repository.insert(endpoint, on: tx)
        }
        return endpoint
    }

    public func list(after: String?, limit: Int, as identity: Identity) async throws -> [WebhookEndpointRecord] {
        try identity.require(.webhooksAdmin)
        return try await core.database.transaction(identity.tenant) { try await repository.list(after: after, limit: min(limit, 100), on: $0) }
    }

    public func get(_ id: PrefixedID, as identity: Identity) async throws -> WebhookEndpointRecord {
        try identity.require(.webhooksAdmin)
        guard let e = try await core.database.transaction(identity.tenant, { try await repository.endpoint(id, on: $0) }) else {
            throw FileError(.notFound, "no webhook endpoint \(id)")
        }
        return e
    }

    /// Applies `change`; enabling an endpoint clears its failure streak and disabled reason.
    public func update(_ id: PrefixedID, _ change: Change, as identity: Identity) async throws -> WebhookEndpointRecord {
        try identity.require(.webhooksAdmin)
        if let topics = change.topics { try Self.validateTopics(topics) }
        if let d = change.description { try Self.validateDescription(d) }
        if let url = change.url { try await policy.checkResolved(url) }
        let updated = try await core.database.transaction(identity.tenant) { tx -> WebhookEndpointRecord in
            guard var e = try await repository.endpoint(id, forUpdate: true, on: tx) else {
                throw FileError(.notFound, "no webhook endpoint \(id)")
            }
            if let url = change.url { e.url = url }
            if let topics = change.topics { e.topics = topics }
            if let d = change.description { e.description = d }
            if let enabled = change.enabled {
                if enabled && !e.enabled { e.failingSince = nil; e.disabledReason = nil }
                if !enabled && e.enabled { e.disabledReason = "disabled by \(identity.subject)" }
                e.enabled = enabled
            }
            try await repository.update(e, on: tx)
            if e.enabled { try await OutboxRelayJob.enqueue(tenant: identity.tenant, on: tx, logger: core.logger) }
            return e
        }
        return updated
    }

    public func delete(_ id: PrefixedID, as identity: Identity) async throws {
        try identity.require(.webhooksAdmin)
        let gone = try await core.database.transaction(identity.tenant) { try await repository.delete(id, on: $0) }
        if !gone { throw FileError(.notFound, "no webhook endpoint \(id)") }
    }

    /// A new secret; the previous one keeps signing for ``WebhookConfiguration/rotationOverlap``.
    public func rotateSecret(_ id: PrefixedID, as identity: Identity) async throws -> WebhookEndpointRecord {
        try identity.require(.webhooksAdmin)
        let until = Date().addingTimeInterval(configuration.rotationOverlap)
        guard let e = try await core.database.transaction(identity.tenant, {
            try await repository.rotate(id, newSecret: WebhookSigner.newSecret(), previousUntil: until, on: $0)
        }) else { throw FileError(.notFound, "no webhook endpoint \(id)") }
        return e
    }

    /// An operator's re-seal of the tenant's signing secrets with the current encryption key (after adding or
    /// rotating ``FileCoreConfiguration/secretSealer``'s keys); returns how many endpoints changed (or would).
    public func resealSecrets(tenant: TenantID, dryRun: Bool) async throws -> Int {
        try await core.database.transaction(tenant) { try await repository.reseal(dryRun: dryRun, on: $0) }
    }

    /// The endpoint's attempt log, newest first.
    public func attempts(_ id: PrefixedID, before: Int64?, limit: Int, as identity: Identity) async throws -> [WebhookAttemptRecord] {
        try identity.require(.webhooksAdmin)
        return try await core.database.transaction(identity.tenant) { tx in
            guard try await repository.endpoint(id, on: tx) != nil else { throw FileError(.notFound, "no webhook endpoint \(id)") }
            return try await repository.attempts(id, before: before, limit: min(max(limit, 1), 200), on: tx)
        }
    }

    /// Puts the endpoint's dead letters (since `since`, of `topic`) — or one event, whatever its state — back
    /// to be delivered now, and starts the relay. Returns how many.
    public func replay(_ id: PrefixedID, since: Date?, topic: String?, eventID: String?, as identity: Identity) async throws -> Int {
        try identity.require(.webhooksAdmin)
        return try await core.database.transaction(identity.tenant) { tx in
            guard try await repository.endpoint(id, on: tx) != nil else { throw FileError(.notFound, "no webhook endpoint \(id)") }
            let n = try await repository.replay(endpoint: id.description, since: since, topic: topic, eventID: eventID, on: tx)
            if n > 0 { try await OutboxRelayJob.enqueue(tenant: identity.tenant, on: tx, logger: core.logger) }
            return n
        }
    }

    /// Operators (`filestore events list`): the tenant's deliveries in `state`.
    public func deliveries(tenant: TenantID, state: String?, endpoint: String?, topic: String?, since: Date?,
                           limit: Int) async throws -> [WebhookDeliveryRecord] {
        try await core.database.transaction(tenant) {
            try await repository.deliveries(state: state, endpoint: endpoint, topic: topic, since: since, limit: limit, on: $0)
        }
    }

    /// Operators (`filestore events replay`): dead letters of the tenant back to pending; with `dryRun` only counted.
    public func replayDead(tenant: TenantID, endpoint: String?, topic: String?, since: Date?, dryRun: Bool) async throws -> Int {
        try await core.database.transaction(tenant) { tx in
            let n = try await repository.replay(endpoint: endpoint, since: since, topic: topic, eventID: nil, dryRun: dryRun, on: tx)
            if n > 0 && !dryRun { try await OutboxRelayJob.enqueue(tenant: tenant, on: tx, logger: core.logger) }
            return n
        }
    }
}

extension FileCore {
    /// Webhook endpoints and their deliveries.
    public var webhooks: Webhooks { Webhooks(core: self) }
}
