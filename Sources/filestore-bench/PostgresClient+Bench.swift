import PostgresNIO

extension PostgresClient {
    /// The first column of the first row of `sql` as an integer (0 without rows).
    func scalarInt(_ sql: String) async throws -> Int {
        for try await v in try await query(PostgresQuery(unsafeSQL: sql)).decode(Int64.self) { return Int(v) }
        return 0
    }

    /// The first column of the first row of `sql` as text ("" without rows or for NULL).
    func scalarText(_ sql: String) async throws -> String {
        for try await v in try await query(PostgresQuery(unsafeSQL: sql)).decode(String?.self) { return v ?? "" }
        return ""
    }
}
