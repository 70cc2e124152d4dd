import Foundation
import JobKit
import Storage

/// A leader task that aborts the multipart uploads a process left in the bucket when it died mid-upload (its own
/// failures abort them at once): every upload under the store's prefix started more than ``maxAge`` ago — longer
/// than any upload takes — is aborted, so its parts stop taking space. (On AWS a bucket lifecycle rule
/// `AbortIncompleteMultipartUpload` does the same; Ceph honours it too: docs/STORAGE.md.)
public struct S3UploadSweepTask: LeaderTask {
    let store: S3BlobStore
    public let interval: Duration
    /// An upload this old is abandoned. Default: 24 hours.
    public let maxAge: Duration
    public var name: String { "s3.multipart.sweep" }

    public init(store: S3BlobStore, interval: Duration = .seconds(3600), maxAge: Duration = .seconds(86_400)) {
        self.store = store
        self.interval = interval
        self.maxAge = maxAge
    }

    public func run() async throws -> Int {
        let age = Double(maxAge.components.seconds) + Double(maxAge.components.attoseconds) / 1e18
        return try await store.abortAbandonedUploads(startedBefore: Date().addingTimeInterval(-age))
    }
}
