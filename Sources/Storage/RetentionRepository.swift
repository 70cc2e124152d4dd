import Domain
import Foundation
import Logging
import PostgresNIO

/// Retention classes and files' retention and legal hold, inside a tenant-scoped transaction. The database's
/// guard (migration 0013) refuses what may never happen whoever asks: an earlier retain-until date, deleting a
/// retained or held file.
public struct RetentionRepository: Sendable {
    public let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// The classes the tenant defined itself.
    public func classes(on tx: PostgresConnection) async throws -> [RetentionClass] {
        let rows = try await tx.query("SELECT name, duration_months, clock, action FROM retention_classes ORDER BY name", logger: logger)
        var out: [RetentionClass] = []
        for try await (name, months, clock, action) in rows.decode((String, Int32?, String, String).self) {
            out.append(RetentionClass(name: name, durationMonths: months.map(Int.init), clock: .init(rawValue: clock) ?? .upload,
                                      action: .init(rawValue: action) ?? .delete))
        }
        return out
    }

    /// Defines or replaces a class of the tenant (files already classed keep their dates).
    public func upsert(_ c: RetentionClass, tenant: TenantID, on tx: PostgresConnection) async throws {
        try await tx.query("""
            INSERT INTO retention_classes (tenant_id, name, duration_months, clock, action)
            VALUES (\(tenant.value), \(c.name), \(c.durationMonths.map(Int32.init)), \(c.clock.rawValue), \(c.action.rawValue))
            ON CONFLICT (tenant_id, name) DO UPDATE SET duration_months = excluded.duration_months, clock = excluded.clock,
              action = excluded.action, updated_at = now()
            """, logger: logger)
    }

    /// The file's retention and hold, or `nil` if there is no such file.
    public func retention(of file: PrefixedID, on tx: PostgresConnection, forUpdate: Bool = false) async throws -> FileRetention? {
        let rows = try await tx.query("""
            SELECT retention_class, retain_until, retention_action, retention_review_since, legal_hold_reason, legal_hold_at, legal_hold_by
            FROM files WHERE id = \(file.description) \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await r in rows.decode((String, Date?, String?, Date?, String?, Date?, String?).self) {
            return Self.retention(r)
        }
        return nil
    }

    static func retention(_ r: (String, Date?, String?, Date?, String?, Date?, String?)) -> FileRetention {
        var hold: FileRetention.LegalHold?
        if let reason = r.4 { hold = .init(reason: reason, since: r.5 ?? Date(), by: r.6 ?? "") }
        return FileRetention(className: r.0, retainUntil: r.1, action: r.2.flatMap(RetentionClass.Action.init(rawValue:)),
                             reviewSince: r.3, legalHold: hold)
    }

    /// Gives the file `class` with `retainUntil` (the guard refuses an earlier date than the file has).
    public func setRetention(_ file: PrefixedID, className: String, retainUntil: Date?, action: RetentionClass.Action?,
                             on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE files SET retention_class = \(className), retain_until = \(retainUntil), retention_action = \(action?.rawValue),
              retention_review_since = NULL, updated_at = now()
            WHERE id = \(file.description)
            """, logger: logger)
    }

    /// Puts the file under legal hold (or replaces the hold's reason).
    public func hold(_ file: PrefixedID, reason: String, by actor: String, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE files SET legal_hold_reason = \(reason), legal_hold_at = coalesce(legal_hold_at, now()), legal_hold_by = \(actor),
              updated_at = now() WHERE id = \(file.description)
            """, logger: logger)
    }

    /// Lifts the file's legal hold.
    public func release(_ file: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("""
            UPDATE files SET legal_hold_reason = NULL, legal_hold_at = NULL, legal_hold_by = NULL, updated_at = now()
            WHERE id = \(file.description)
            """, logger: logger)
    }

    /// Live files of the tenant whose retention expired, not held, not yet flagged: at most `limit`, oldest
    /// date first, locked (others skipped) for the sweep's short transaction.
    public func expired(limit: Int, on tx: PostgresConnection) async throws -> [(id: PrefixedID, action: RetentionClass.Action)] {
        let rows = try await tx.query("""
            SELECT id, coalesce(retention_action, 'delete') FROM files
            WHERE retain_until IS NOT NULL AND retain_until <= now() AND retention_review_since IS NULL
              AND legal_hold_reason IS NULL AND state NOT IN ('deleted', 'erased')
            ORDER BY retain_until, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """, logger: logger)
        var out: [(id: PrefixedID, action: RetentionClass.Action)] = []
        for try await (id, action) in rows.decode((String, String).self) {
            if let id = PrefixedID(parsing: id, as: .file) { out.append((id, RetentionClass.Action(rawValue: action) ?? .delete)) }
        }
        return out
    }

    /// Flags an expired file for review.
    public func flagForReview(_ file: PrefixedID, on tx: PostgresConnection) async throws {
        try await tx.query("UPDATE files SET retention_review_since = now(), updated_at = now() WHERE id = \(file.description)", logger: logger)
    }
}
