import Domain
import Foundation
import JobKit
import PostgresNIO
import Storage

/// Retention classes, a file's class and retain-until date, legal hold, and the retention sweep. The rules the
/// database guard enforces (migration 0013) are checked here first only to explain a refusal well.
public struct Retention: Sendable {
    let core: FileCore

    var repository: RetentionRepository { RetentionRepository(logger: core.logger) }

    /// The tenant's classes: the built-ins, each replaced by the tenant's own class of that name, and the tenant's others.
    public func classes(as identity: Identity) async throws -> [RetentionClass] {
        try identity.require(.filesRead)
        return try await core.database.transaction(identity.tenant) { try await classes(on: $0) }
    }

    func classes(on tx: PostgresConnection) async throws -> [RetentionClass] {
        let own = try await repository.classes(on: tx)
        var byName = Dictionary(uniqueKeysWithValues: core.configuration.compliance.builtInClasses.map { ($0.name, $0) })
        for c in own { byName[c.name] = c }
        return byName.values.sorted { $0.name < $1.name }
    }

    /// The class named `name` for the transaction's tenant, or `INVALID_REQUEST` naming the known ones.
    func resolve(_ name: String, on tx: PostgresConnection) async throws -> RetentionClass {
        let all = try await classes(on: tx)
        guard let c = all.first(where: { $0.name == name }) else {
            throw FileError(.invalidRequest, "unknown retention class '\(name.prefix(64))'; classes are \(all.map(\.name).joined(separator: ", "))")
        }
        return c
    }

    /// Defines or replaces one of the tenant's classes (compliance:admin). Files already classed keep their dates.
    public func define(_ c: RetentionClass, as identity: Identity, requestID: String?) async throws -> RetentionClass {
        try identity.require(.complianceAdmin)
        guard RetentionClass.isValidName(c.name) else { throw FileError(.invalidRequest, "a class name is 1-64 of a-z 0-9 _, starting with a letter") }
        if let months = c.durationMonths, !(1...1200).contains(months) {
            throw FileError(.invalidRequest, "duration_months must be between 1 and 1200 (or null for none)")
        }
        try await core.database.transaction(identity.tenant) { tx in
            try await core.tenantRepository.ensureTenant(identity.tenant, on: tx)
            try await repository.upsert(c, tenant: identity.tenant, on: tx)
            try await AuditRepository(logger: core.logger).append(
                tenant: identity.tenant, resource: "retention_class:\(c.name)", action: "retention.class_defined", actor: identity.subject,
                details: ["duration_months": c.durationMonths.map(String.init) ?? "none", "clock": c.clock.rawValue, "action": c.action.rawValue],
                requestID: requestID, on: tx)
        }
        return c
    }

    /// Applies class `name` to a file being recorded (upload time): its retain-until date from `uploadedAt`.
    func apply(_ name: String, to file: PrefixedID, uploadedAt: Date, on tx: PostgresConnection) async throws {
        let c = try await resolve(name, on: tx)
        try await repository.setRetention(file, className: c.name, retainUntil: c.retainUntil(uploadedAt: uploadedAt),
                                          action: c.durationMonths == nil ? nil : c.action, on: tx)
    }

    /// Gives a file class `name` (compliance:admin). Its retain-until date can only move later: a class that would
    /// end earlier (or retain nothing) than the date the file has is `RETAINED`, as the database guard would say.
    public func setClass(_ id: PrefixedID, name: String, as identity: Identity, requestID: String?) async throws -> FileRecord {
        try identity.require(.complianceAdmin)
        return try await core.database.transaction(identity.tenant) { tx in
            guard let file = try await core.fileRepository.file(id, on: tx, forUpdate: true) else { throw FileError(.notFound, "no file \(id)") }
            guard file.state != .deleted, file.state != .erased else {
                throw FileError(.illegalTransition, "file \(id) is \(file.state.rawValue): it has nothing left to retain")
            }
            let c = try await resolve(name, on: tx)
            let until = c.retainUntil(uploadedAt: file.createdAt)
            if let current = file.retention.retainUntil, (until ?? .distantPast) < current {
                throw FileError(.retained, "file \(id) is retained until \(ISO8601DateFormatter().string(from: current)) (class \(file.retention.className)); a retain-until date only moves later")
            }
            try await repository.setRetention(id, className: c.name, retainUntil: until, action: c.durationMonths == nil ? nil : c.action, on: tx)
            try await core.fileRepository.audit(file, action: "file.retention_set", actor: identity.subject, requestID: requestID, traceContext: nil,
                                                details: ["class": c.name, "retain_until": until.map { ISO8601DateFormatter().string(from: $0) } ?? "none",
                                                          "previous_class": file.retention.className], on: tx)
            guard let updated = try await core.fileRepository.file(id, on: tx) else { throw FileError(.notFound, "no file \(id)") }
            return updated
        }
    }

    /// Puts a file under legal hold, or lifts it (compliance:admin); `reason` is audited either way.
    public func legalHold(_ id: PrefixedID, hold: Bool, reason: String, as identity: Identity, requestID: String?) async throws -> FileRecord {
        try identity.require(.complianceAdmin)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.utf8.count <= 1000, !reason.contains("\0") else {
            throw FileError(.invalidRequest, "reason must be 1-1000 bytes")
        }
        return try await core.database.transaction(identity.tenant) { tx in
            guard let file = try await core.fileRepository.file(id, on: tx, forUpdate: true) else { throw FileError(.notFound, "no file \(id)") }
            if hold {
                guard file.state != .deleted, file.state != .erased else {
                    throw FileError(.illegalTransition, "file \(id) is \(file.state.rawValue): nothing is left to hold")
                }
                try await repository.hold(id, reason: reason, by: identity.subject, on: tx)
            } else {
                guard file.retention.legalHold != nil else { throw FileError(.illegalTransition, "file \(id) is not under legal hold") }
                try await repository.release(id, on: tx)
            }
            try await core.fileRepository.audit(file, action: hold ? "file.legal_hold_set" : "file.legal_hold_released", actor: identity.subject,
                                                requestID: requestID, traceContext: nil, details: ["reason": reason], on: tx)
            guard let updated = try await core.fileRepository.file(id, on: tx) else { throw FileError(.notFound, "no file \(id)") }
            return updated
        }
    }

    /// One batch of the retention sweep for `tenant`, in one short transaction: up to `limit` live, unheld files
    /// whose retain-until date passed are deleted (their purge queued) or flagged for review, by their class's
    /// action. Returns how many files it dealt with.
    @discardableResult
    public func sweep(tenant: TenantID, limit: Int = 100) async throws -> Int {
        let purge = PipelineJobs.options(tenant: tenant, queue: core.configuration.maintenanceQueue, traceContext: nil)
        return try await core.database.transaction(tenant) { tx in
            let due = try await repository.expired(limit: limit, on: tx)
            for (id, action) in due {
                switch action {
                case .delete:
                    guard let file = try await core.fileRepository.file(id, on: tx) else { continue }
                    try await core.fileRepository.transition(id, on: .deleted, actor: "job:retention.sweep", requestID: nil, traceContext: nil,
                                                              details: ["reason": "retention expired", "class": file.retention.className], tx: tx)
                    try await core.jobs.enqueue(PurgeFile(id), options: purge, on: tx)
                case .review:
                    try await repository.flagForReview(id, on: tx)
                    if let file = try await core.fileRepository.file(id, on: tx) {
                        try await core.fileRepository.audit(file, action: "file.retention_review", actor: "job:retention.sweep", requestID: nil,
                                                            traceContext: nil, details: ["class": file.retention.className], on: tx)
                    }
                }
            }
            return due.count
        }
    }
}
