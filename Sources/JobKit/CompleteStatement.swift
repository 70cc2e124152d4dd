import PostgresNIO

/// Marks jobs completed: the one statement for it, used by the completer's batches and by
/// ``Job/complete(on:)`` inside a handler's transaction, so both leave the same row (finished, no lease).
/// Guarded by `state = 'running' AND attempted_by = <worker>`: a job rescued or cancelled meanwhile is left
/// alone. Returns how many rows it completed. A prepared statement: parsed and planned once per connection.
struct CompleteStatement: PostgresPreparedStatement {
    static let sql = """
        WITH done AS (
          UPDATE jobkit.jobs SET state = 'completed', finalized_at = now(), lease_expires_at = NULL
          WHERE id = ANY ($1::int8[]) AND state = 'running' AND attempted_by = $2
          RETURNING 1
        )
        SELECT count(*)::int8 FROM done
        """
    typealias Row = Int64

    var ids: [Int64]
    var workerID: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(ids)
        bindings.append(workerID)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Int64.self) }
}
