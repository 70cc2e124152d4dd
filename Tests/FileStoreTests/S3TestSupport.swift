import AsyncHTTPClient
import Foundation
import NIOPosix
import Storage
import Testing

/// The Ceph RADOS Gateway that `scripts/test.sh` starts (`scripts/ceph.sh`) and names in `TEST_S3_ENDPOINT`,
/// `TEST_S3_BUCKET`, `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. Every store opened here has a key prefix of
/// its own in the bucket, so tests run in parallel without seeing each other's objects.
enum S3TestEnvironment {
    static let environment = ProcessInfo.processInfo.environment
    /// Whether the S3 tests can run; they are disabled with ``skipReason`` otherwise.
    static let isConfigured = environment["TEST_S3_ENDPOINT"].map { !$0.isEmpty } ?? false
    static let skipReason: Comment = "TEST_S3_ENDPOINT is unset: run scripts/test.sh, which starts Ceph (scripts/ceph.sh) and sets it"

    static var endpoint: URL { URL(string: environment["TEST_S3_ENDPOINT"] ?? "http://127.0.0.1:7480")! }
    static var bucket: String { environment["TEST_S3_BUCKET"] ?? "filestore-test" }
    static var credentials: S3Credentials {
        S3Credentials(accessKeyID: environment["AWS_ACCESS_KEY_ID"] ?? "", secretAccessKey: environment["AWS_SECRET_ACCESS_KEY"] ?? "",
                      sessionToken: environment["AWS_SESSION_TOKEN"])
    }

    /// One HTTP client for every test store (a client is shut down by its owner; the test process owns this one).
    static let client = S3BlobStore.makeHTTPClient(configuration())
    static let pool = LocalBlobStore.makeIOPool(threads: 8)

    /// A configuration with a fresh key prefix and staging folder (`endpoint` overrides the gateway's: a closed port).
    static func configuration(endpoint: URL? = nil, credentials: S3Credentials? = nil) -> S3Configuration {
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("s3-staging-\(UUID())")
        var configuration = S3Configuration(endpoint: endpoint ?? self.endpoint, bucket: bucket, credentials: credentials ?? self.credentials,
                                            stagingDirectory: staging)
        configuration.region = environment["TEST_S3_REGION"] ?? "us-east-1"
        configuration.keyPrefix = "runs/\(UUID().uuidString.lowercased())/"
        configuration.partSize = 5 << 20
        configuration.retryBaseDelay = .milliseconds(50)
        return configuration
    }

    /// A store and the cleanup of its staging folder (its objects stay in the throw-away cluster).
    static func open(_ configuration: S3Configuration = configuration()) throws -> (store: S3BlobStore, cleanup: @Sendable () -> Void) {
        let store = try S3BlobStore(configuration: configuration, client: client, pool: pool)
        let staging = configuration.stagingDirectory
        return (store, { try? FileManager.default.removeItem(at: staging) })
    }
}
