/// Where a blob lives: always `tenants/<tenant_id>/files/<file_id>/<name>`. The type cannot be built
/// otherwise (the first of three layers; the database's CHECK constraint and the tenant-scoped blob store
/// are the others). A client's file name never becomes part of a key.
public struct ObjectKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public let tenant: TenantID
    public let path: String

    /// The key of a file's blob: `original`, or a variant name such as `thumb` (1-32 of `a-z 0-9 _ -`).
    public init(tenant: TenantID, file: PrefixedID, name: String = "original") throws {
        guard file.kind == .file else { throw FileError(.invalidID, "\(file) is not a file id") }
        let bytes = Array(name.utf8)
        guard (1...32).contains(bytes.count),
              bytes.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 }) else {
            throw FileError(.invalidObjectKey, "variant name must be 1-32 of a-z 0-9 _ -")
        }
        self.tenant = tenant
        self.path = "tenants/\(tenant.value)/files/\(file)/\(name)"
    }

    /// Parses a stored key, refusing anything that is not exactly of the form above.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "tenants", parts[2] == "files",
              let file = PrefixedID(parsing: parts[3], as: .file) else {
            throw FileError(.invalidObjectKey, "not an object key: \(text.prefix(200))")
        }
        try self.init(tenant: TenantID(parts[1]), file: file, name: parts[4])
    }

    /// The prefix every key of `tenant` starts with.
    public static func prefix(of tenant: TenantID) -> String { "tenants/\(tenant.value)/" }

    /// The folder holding every blob of the key's file: `tenants/<tenant_id>/files/<file_id>/`.
    public var folder: String { String(path[...path.lastIndex(of: "/")!]) }

    public var description: String { path }
}
