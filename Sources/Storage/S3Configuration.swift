import Foundation

/// Everything an ``S3BlobStore`` needs: where the bucket is, how to address it, who it is, and its limits.
public struct S3Configuration: Sendable {
    /// The service's base URL, `http(s)://host[:port]` (`FILESTORE_S3_ENDPOINT`): `https://s3.eu-west-1.amazonaws.com`,
    /// a Ceph RADOS Gateway, MinIO….
    public var endpoint: URL
    /// The bucket (`FILESTORE_S3_BUCKET`), which must exist.
    public var bucket: String
    /// The region requests are signed for (`FILESTORE_S3_REGION`). Default: `us-east-1` (what Ceph and MinIO accept).
    public var region = "us-east-1"
    /// Path-style addressing, `endpoint/bucket/key` (`FILESTORE_S3_PATH_STYLE`, what Ceph and MinIO need), or
    /// virtual-hosted, `bucket.endpoint/key` (AWS's default). Default: `true`.
    public var pathStyle = true
    public var credentials: S3Credentials
    /// Prepended to every object's key (`""` or a folder ending in `/`): several deployments (or test runs) in one
    /// bucket. Default: none — keys are `tenants/<tenant>/…` at the bucket's root, as the bucket policy expects.
    public var keyPrefix = ""
    /// Bytes of one multipart part, and the most a single PUT carries: a body that ends within it is one PUT, a
    /// longer one a multipart upload. S3 wants 5 MiB to 5 GiB. Default: 16 MiB.
    public var partSize = 16 << 20
    /// Parts of one multipart upload sent at once while the next is gathered: memory per upload is at most
    /// `(partsInFlight + 1) × partSize`. More overlaps more of the gateway's latency. Default: 1.
    public var partsInFlight = 1
    /// Attempts of one request before its failure is the caller's (5xx, `SlowDown`, connection errors, timeouts
    /// are retried; 4xx other than 408/429 are not). Default: 4.
    public var maxAttempts = 4
    /// The first retry's delay; each next one doubles it, with jitter (up to half as much again). Default: 200 ms.
    public var retryBaseDelay: Duration = .milliseconds(200)
    /// Connecting to the endpoint. Default: 5 s.
    public var connectTimeout: Duration = .seconds(5)
    /// The longest wait for the server's next bytes (a read that stalls longer fails and is retried). Default: 60 s.
    public var readTimeout: Duration = .seconds(60)
    /// An idle pooled connection is closed after this. Default: 60 s.
    public var idleTimeout: Duration = .seconds(60)
    /// Where the store keeps what is local and disposable (`FILESTORE_BLOB_DIR`): staged tus parts, the temporary
    /// copies handed to native engines, scratch files.
    public var stagingDirectory: URL
    /// Size of the chunks read from staged files. Default: 1 MiB.
    public var fileChunkSize = 1 << 20

    public init(endpoint: URL, bucket: String, credentials: S3Credentials, stagingDirectory: URL) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.credentials = credentials
        self.stagingDirectory = stagingDirectory
    }

    /// The host:port header and the path of `objectPath` (already relative to the bucket, not encoded).
    func location(of objectPath: String) -> (url: String, host: String, path: String) {
        let scheme = endpoint.scheme ?? "http"
        let port = endpoint.port.map { ":\($0)" } ?? ""
        let baseHost = endpoint.host ?? "localhost"
        let encoded = S3Signer.encodePath(objectPath)
        if pathStyle {
            let path = "/" + S3Signer.encode(bucket) + (objectPath.isEmpty ? "" : encoded)
            return ("\(scheme)://\(baseHost)\(port)\(path)", baseHost + port, path)
        }
        let host = "\(bucket).\(baseHost)\(port)"
        return ("\(scheme)://\(host)\(encoded)", host, encoded)
    }
}
