import Foundation
import PostgresNIO

/// The single-job insert as a prepared statement: each connection parses and plans it once. Refused by a
/// unique key, it returns no row (`ON CONFLICT DO NOTHING`).
struct EnqueueStatement: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO jobkit.jobs (state, queue, kind, args, priority, max_attempts, scheduled_at, tags,
                                 unique_key, unique_states, tenant_id, trace_context)
        SELECT CASE WHEN s.at > now() THEN 'scheduled' ELSE 'available' END::jobkit.job_state,
               $1, $2, $3::text::jsonb, $4::int2, $5::int2, s.at, $7::text[], $8::text, $9::text[]::jobkit.job_state[],
               $10::text, $11::text
        FROM (SELECT coalesce($6::timestamptz, now()) AS at) s
        ON CONFLICT DO NOTHING
        RETURNING id
        """
    typealias Row = Int64

    let job: JobInsert

    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 11)
        b.append(job.queue)
        b.append(job.kind)
        b.append(job.argsJSON)
        b.append(Int16(job.priority))
        b.append(Int16(job.maxAttempts))
        if let at = job.scheduledAt { b.append(at) } else { b.appendNull() }
        b.append(job.tags)
        if let key = job.uniqueKey { b.append(key) } else { b.appendNull() }
        if job.uniqueKey != nil { b.append(job.uniqueStates.map(\.rawValue)) } else { b.appendNull() }
        if let tenant = job.tenantID { b.append(tenant) } else { b.appendNull() }
        if let trace = job.traceContext { b.append(trace) } else { b.appendNull() }
        return b
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
}
