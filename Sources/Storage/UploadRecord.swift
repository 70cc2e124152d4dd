import Domain
import Foundation

/// A resumable (tus) upload as its row holds it.
public struct UploadRecord: Sendable, Hashable {
    public var id: PrefixedID
    /// `nil` while the length is deferred.
    public var length: Int64?
    /// Bytes received and acknowledged: the sum of the upload's stored parts.
    public var offset: Int64
    public var metadata: [String: String]
    public var expiresAt: Date
    /// The file it became, once complete.
    public var fileID: PrefixedID?

    /// The data subjects of the upload (its uploader and any named in `subjects` metadata), so that erasure
    /// finds staged bytes before they become a file.
    public var subjects: [String] = []

    public init(id: PrefixedID, length: Int64?, offset: Int64, metadata: [String: String], expiresAt: Date, fileID: PrefixedID?) {
        self.id = id
        self.length = length
        self.offset = offset
        self.metadata = metadata
        self.expiresAt = expiresAt
        self.fileID = fileID
    }
}
