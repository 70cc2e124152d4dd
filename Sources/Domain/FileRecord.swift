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

    public init(id: PrefixedID, tenant: TenantID, state: FileState, objectKey: ObjectKey, originalName: String?, declaredType: String?,
                contentType: String?, size: Int64?, sha256: String?, urlGeneration: Int, createdAt: Date, updatedAt: Date) {
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
    }
}
