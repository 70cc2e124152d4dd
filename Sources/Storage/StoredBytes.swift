import Domain

/// Bytes that can be served: where they are and what they are.
public struct StoredBytes: Sendable, Hashable {
    public var key: ObjectKey
    public var contentType: String
    public var size: Int64
    public var sha256: String
    public init(key: ObjectKey, contentType: String, size: Int64, sha256: String) {
        self.key = key
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
    }
}
