import Foundation

/// A file as the API shows it.
public struct FileRecord: Sendable, Hashable, Codable {
    public var id: PrefixedID
    public var tenant: TenantID
    public var state: FileState
    public var objectKey: ObjectKey
    public var originalName: String?
    public var declaredType: String?
    public var contentType: String?
    public var size: Int64?
    public var sha256: String?
    public var urlGeneration: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// When the virus scan finished, and the signature it matched (none: clean).
    public var scannedAt: Date?
    public var scanSignature: String?
    /// Whether the declared type disagrees with the sniffed one (``ContentTypes/agrees(declared:sniffed:)``).
    public var typeMismatch: Bool
    /// The kinds of personal metadata the original carried (`gps`, `device`, `author`, `timestamps`), once the
    /// optimize step looked; and whether what is served was scrubbed of metadata (`false`: served as uploaded).
    public var metadataFound: [String]? = nil
    public var metadataScrubbed: Bool? = nil
    /// The file's retention class, retain-until date and legal hold.
    public var retention = FileRetention()

    public init(id: PrefixedID, tenant: TenantID, state: FileState, objectKey: ObjectKey, originalName: String?, declaredType: String?,
                contentType: String?, size: Int64?, sha256: String?, urlGeneration: Int, createdAt: Date, updatedAt: Date,
                scannedAt: Date? = nil, scanSignature: String? = nil, typeMismatch: Bool = false) {
        self.id = id
        self.tenant = tenant
        self.state = state
        self.objectKey = objectKey
        self.originalName = originalName
        self.declaredType = declaredType
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.urlGeneration = urlGeneration
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.scannedAt = scannedAt
        self.scanSignature = scanSignature
        self.typeMismatch = typeMismatch
    }
}
