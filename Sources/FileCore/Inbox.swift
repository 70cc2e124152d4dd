import Domain
import Foundation
import JobKit
import Storage

/// `tenant.purge` (queue `maintenance`): a `tenant.deleted.v1` event was consumed. Enqueued here; its handler
/// (`Jobs/TenantPurgeWorker`) records the tenant's offboarding erasure.
public struct PurgeTenant: JobArgs, Hashable {
    public static let kind = "tenant.purge"
    public static let defaultQueue = "maintenance"
    public var source: String
    public var event_id: String
    public var deleted_at: String
    public var insertOptions: InsertOptions { InsertOptions(uniqueKey: "\(Self.kind):\(source):\(event_id)") }
}

/// `dsr.process` (queue `maintenance`): a `dsr.requested.v1` event was consumed. Enqueued here; its handler
/// (`Jobs/DataSubjectRequestWorker`) records the erasure request.
public struct ProcessDataSubjectRequest: JobArgs, Hashable {
    public static let kind = "dsr.process"
    public static let defaultQueue = "maintenance"
    public var source: String
    public var event_id: String
    public var request_id: String
    public var subject_id: String
    public var request_kind: String
    public var due_at: String?
    public var insertOptions: InsertOptions { InsertOptions(uniqueKey: "\(Self.kind):\(source):\(event_id)") }
}

/// The inbox (`POST /v1/inbox/{source}`): events other platform services send, signed with Standard Webhooks by
/// the source's secret, each validated against its topic's committed schema and consumed exactly once per
/// (source, event id) — the dedup row and the effect share one transaction.
public struct Inbox: Sendable {
    let core: FileCore
    /// Each source's secrets (several during a rotation).
    let secrets: [String: [String]]
    let validators: [String: JSONSchemaValidator]

    /// What became of an event.
    public enum Outcome: String, Sendable { case accepted, duplicate }

    public init(core: FileCore, secrets: [String: [String]]) {
        self.core = core
        self.secrets = secrets
        self.validators = InboxSchemas.all.compactMapValues { try? JSONSchemaValidator(json: $0) }
    }

    public func receive(source: String, id: String?, timestamp: String?, signature: String?, body: [UInt8],
                        now: Date = Date()) async throws -> (outcome: Outcome, topic: String) {
        guard InboxSources.isValidName(source), let keys = secrets[source], !keys.isEmpty else {
            throw FileError(.eventSignatureInvalid, "unknown inbox source '\(source.prefix(64))'")
        }
        guard let id, let timestamp, let signature, !id.isEmpty, id.utf8.count <= 256 else {
            throw FileError(.eventSignatureInvalid, "webhook-id, webhook-timestamp and webhook-signature are required")
        }
        guard WebhookSigner.verify(id: id, timestampText: timestamp, signatureHeader: signature, body: body, secrets: keys, now: now) else {
            throw FileError(.eventSignatureInvalid, "the signature does not verify, or the timestamp is more than 5 minutes off")
        }
        guard let message = JSONValue.parse(body), let topic = message["type"]?.string, let data = message["data"] else {
            throw FileError(.eventInvalid, "body must be {\"type\", \"timestamp\", \"data\"}")
        }
        guard EventTopics.consumed.contains(topic), let validator = validators[topic] else {
            throw FileError(.eventTopicUnknown, "the inbox does not consume '\(topic.prefix(128))'; it consumes \(EventTopics.consumed.sorted().joined(separator: ", "))")
        }
        let problems = validator.problems(data)
        guard problems.isEmpty else { throw FileError(.eventInvalid, "data does not match \(topic): \(problems.prefix(5).joined(separator: "; "))") }
        guard let tenantText = data["tenant_id"]?.string, let tenant = try? TenantID(tenantText) else {
            throw FileError(.eventInvalid, "data.tenant_id is not a tenant id")
        }
        let repository = InboxRepository(logger: core.logger)
        let outcome = try await core.database.transaction(tenant) { tx -> Outcome in
            try await core.tenantRepository.ensureTenant(tenant, on: tx)
            guard try await repository.record(source: source, eventID: id, tenant: tenant, topic: topic, on: tx) else { return .duplicate }
            switch topic {
            case "tenant.deleted.v1":
                try await core.jobs.enqueue(PurgeTenant(source: source, event_id: id, deleted_at: data["deleted_at"]?.string ?? ""),
                                            options: InsertOptions(tenantID: tenant.value), on: tx)
            case "dsr.requested.v1":
                try await core.jobs.enqueue(ProcessDataSubjectRequest(source: source, event_id: id, request_id: data["request_id"]?.string ?? "",
                                                                      subject_id: data["subject_id"]?.string ?? "",
                                                                      request_kind: data["kind"]?.string ?? "", due_at: data["due_at"]?.string),
                                            options: InsertOptions(tenantID: tenant.value), on: tx)
            default: // tenant.plan_changed.v1
                try await repository.setQuotas(tenant, bytes: data["quota_bytes"]?.int64, files: data["quota_files"]?.int64, on: tx)
            }
            return .accepted
        }
        return (outcome, topic)
    }
}
