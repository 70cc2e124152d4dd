import Foundation
import PostgresNIO

extension JobClient {
    /// Deletes the jobs of `tenantID` whose row — args, errors, tags, any state, the dead-letter queue
    /// included — mentions any of `values` (as written, or as escaped inside JSON text), except the job `except`
    /// (the one doing the erasing). A job deleted while it runs simply loses its row: its completion finds
    /// nothing to write. For data-subject erasure: what is left of a subject in the queue goes. Returns how many
    /// rows went.
    @discardableResult
    public func eraseJobs(tenantID: String, mentioning values: [String], except: Int64? = nil,
                          on connection: PostgresConnection) async throws -> Int {
        let needles = Array(Set(values.filter { !$0.isEmpty }.flatMap { [$0, Self.jsonEscaped($0)] }))
        guard !needles.isEmpty else { return 0 }
        let rows = try await connection.query("""
            WITH gone AS (
              DELETE FROM jobkit.jobs j WHERE j.tenant_id = \(tenantID) AND j.id IS DISTINCT FROM \(except)
                AND EXISTS (SELECT 1 FROM unnest(\(needles)::text[]) AS v WHERE strpos(j::text, v) > 0)
              RETURNING 1)
            SELECT count(*)::bigint FROM gone
            """, logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    /// Deletes the jobs of `tenantID` whose args name one of `values` under `key` (e.g. `file_id`: the jobs of those
    /// files), in any state, except `except`. One pass, the values hash-joined. Returns how many rows went.
    @discardableResult
    public func eraseJobs(tenantID: String, argument key: String, in values: [String], except: Int64? = nil,
                          on connection: PostgresConnection) async throws -> Int {
        guard !values.isEmpty else { return 0 }
        let rows = try await connection.query("""
            WITH v AS (SELECT DISTINCT unnest(\(values)::text[]) AS value),
            gone AS (DELETE FROM jobkit.jobs j USING v WHERE j.tenant_id = \(tenantID) AND j.args ->> \(key) = v.value
                       AND j.id IS DISTINCT FROM \(except) RETURNING 1)
            SELECT count(*)::bigint FROM gone
            """, logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    /// Deletes every job of `tenantID` except `except` (tenant offboarding). Returns how many rows went.
    @discardableResult
    public func eraseAllJobs(tenantID: String, except: Int64? = nil, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query("""
            WITH gone AS (DELETE FROM jobkit.jobs WHERE tenant_id = \(tenantID) AND id IS DISTINCT FROM \(except) RETURNING 1)
            SELECT count(*)::bigint FROM gone
            """, logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    /// The jobs of `tenantID` still mentioning any of `values` (the erasure's verification: 0 after it).
    public func countJobs(tenantID: String, mentioning values: [String], on connection: PostgresConnection) async throws -> Int {
        let needles = Array(Set(values.filter { !$0.isEmpty }.flatMap { [$0, Self.jsonEscaped($0)] }))
        guard !needles.isEmpty else { return 0 }
        let rows = try await connection.query("""
            SELECT count(*)::bigint FROM jobkit.jobs j WHERE j.tenant_id = \(tenantID)
              AND EXISTS (SELECT 1 FROM unnest(\(needles)::text[]) AS v WHERE strpos(j::text, v) > 0)
            """, logger: logger)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    /// `value` as it appears between the quotes of a JSON string.
    static func jsonEscaped(_ value: String) -> String {
        guard let data = try? JSONEncoder().encode(value), let text = String(data: data, encoding: .utf8) else { return value }
        return String(text.dropFirst().dropLast())
    }
}
