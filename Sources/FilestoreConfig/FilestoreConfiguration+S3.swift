import Foundation

extension FilestoreConfiguration.Blobs {
    /// Which store holds the bytes (`FILESTORE_BLOB_STORE`).
    public enum Backend: String, Sendable, CaseIterable {
        /// Files under `FILESTORE_BLOB_DIR` (one machine, or a shared filesystem).
        case local
        /// An S3-compatible bucket (`FILESTORE_S3_*`): API and workers on separate hosts share nothing but it and PostgreSQL.
        case s3
    }

    /// The S3 backend's settings (`FILESTORE_BLOB_STORE=s3`); credentials as the AWS tools read them.
    public struct S3: Sendable, Hashable {
        /// `FILESTORE_S3_ENDPOINT`: the service's base URL, `http(s)://host[:port]` without a path. Required.
        public var endpoint: URL
        /// `FILESTORE_S3_BUCKET`: an existing bucket (3-63 of `a-z 0-9 . -`). Required.
        public var bucket: String
        /// `FILESTORE_S3_REGION`: the region requests are signed for. Default: `us-east-1`.
        public var region = "us-east-1"
        /// `FILESTORE_S3_PATH_STYLE`: `endpoint/bucket/key` (Ceph, MinIO) or, when false, `bucket.endpoint/key`
        /// (AWS's virtual-hosted style). Default: `true`.
        public var pathStyle = true
        /// `FILESTORE_S3_PART_SIZE`: a multipart upload's part, and the largest single PUT. 5 MiB to 5 GiB.
        /// Default: `16MiB`.
        public var partSize: Int64 = 16 << 20
        /// `FILESTORE_S3_PARTS_IN_FLIGHT`: parts of one upload sent at once while the next is received (1-16); memory
        /// per upload is at most `(this + 1) × part size`. Default: `1`.
        public var partsInFlight = 1
        /// `FILESTORE_S3_KEY_PREFIX`: a folder (ending in `/`) in front of every key, for deployments sharing a
        /// bucket. Default: none (keys are `tenants/<tenant>/…` at the bucket's root, as the example bucket policy expects).
        public var keyPrefix = ""
        /// `AWS_ACCESS_KEY_ID` (or the file `AWS_ACCESS_KEY_ID_FILE`). Required.
        public var accessKeyID: String
        /// `AWS_SECRET_ACCESS_KEY` (or the file `AWS_SECRET_ACCESS_KEY_FILE`). Required; never shown.
        public var secretAccessKey: String
        /// `AWS_SESSION_TOKEN` (or the file `AWS_SESSION_TOKEN_FILE`): temporary credentials' token. Default: none.
        public var sessionToken: String?

        public init(endpoint: URL, bucket: String, accessKeyID: String, secretAccessKey: String) {
            self.endpoint = endpoint
            self.bucket = bucket
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
        }
    }

    /// Reads the backend and, for `s3`, its settings; a missing one stops the process naming it.
    mutating func readBackend(_ r: inout SettingsReader) throws {
        backend = try r.value("FILESTORE_BLOB_STORE", default: "local", accepts: Parse.choices(Backend.self)) { Parse.choice($0, Backend.self) }
        let endpoint = try r.optional("FILESTORE_S3_ENDPOINT", accepts: "an http(s) URL without a path (https://s3.eu-west-1.amazonaws.com)") { text in
            Parse.httpURL(text).flatMap { $0.path.isEmpty ? $0 : nil }
        }
        let bucket = try r.optional("FILESTORE_S3_BUCKET", accepts: "a bucket name (3-63 of a-z 0-9 . -)") { Self.bucketName($0) }
        let region = try r.value("FILESTORE_S3_REGION", default: "us-east-1", accepts: "a region name (a-z 0-9 -)") { text in
            text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" } ? text : nil
        }
        let pathStyle = try r.value("FILESTORE_S3_PATH_STYLE", default: "true", accepts: "true or false", Parse.bool)
        let partSize = try r.value("FILESTORE_S3_PART_SIZE", default: "16MiB", accepts: "a size from 5MiB to 5GiB") { text in
            ByteSize.parse(text).flatMap { (5 << 20...5 << 30).contains($0) ? $0 : nil }
        }
        let partsInFlight = try r.value("FILESTORE_S3_PARTS_IN_FLIGHT", default: "1", accepts: "a number 1-16") { Parse.int($0, in: 1...16) }
        let keyPrefix = try r.value("FILESTORE_S3_KEY_PREFIX", default: "", accepts: "a folder ending in / (a-z A-Z 0-9 . _ - /)") { Self.keyPrefix($0) }
        let access = try r.optionalSecret("AWS_ACCESS_KEY_ID", accepts: "an access key id", redact: { $0 }) { $0 }
        let secret = try r.optionalSecret("AWS_SECRET_ACCESS_KEY", accepts: "a secret access key", redact: { _ in "<redacted>" }) { $0 }
        let token = try r.optionalSecret("AWS_SESSION_TOKEN", accepts: "a session token", redact: { _ in "<redacted>" }) { $0 }
        // A region may be a bucket (`eu=s3://filestore-eu`): of the same endpoint, so only with the S3 backend.
        for (region, place) in regions.sorted(by: { $0.key < $1.key }) where place.hasPrefix("s3://") {
            guard backend == .s3 else {
                throw ConfigurationError(.invalidValue, variable: "FILESTORE_BLOB_REGIONS",
                                         message: "invalid FILESTORE_BLOB_REGIONS: region \(region) is a bucket (\(place)), which needs FILESTORE_BLOB_STORE=s3")
            }
            guard Self.regionBucket(place) != nil else {
                throw ConfigurationError(.invalidValue, variable: "FILESTORE_BLOB_REGIONS",
                                         message: "invalid FILESTORE_BLOB_REGIONS: region \(region)'s \(place) is not s3://<bucket> (3-63 of a-z 0-9 . -)")
            }
        }
        guard backend == .s3 else { return }
        func missing(_ variable: String, _ what: String) -> ConfigurationError {
            ConfigurationError(.missing, variable: variable, message: "FILESTORE_BLOB_STORE=s3 needs \(variable) (\(what))")
        }
        guard let endpoint else { throw missing("FILESTORE_S3_ENDPOINT", "the S3 service's URL") }
        guard let bucket else { throw missing("FILESTORE_S3_BUCKET", "the bucket's name") }
        guard let access else { throw missing("AWS_ACCESS_KEY_ID", "or AWS_ACCESS_KEY_ID_FILE") }
        guard let secret else { throw missing("AWS_SECRET_ACCESS_KEY", "or AWS_SECRET_ACCESS_KEY_FILE") }
        var s3 = S3(endpoint: endpoint, bucket: bucket, accessKeyID: access, secretAccessKey: secret)
        s3.region = region
        s3.pathStyle = pathStyle
        s3.partSize = partSize
        s3.partsInFlight = partsInFlight
        s3.keyPrefix = keyPrefix
        s3.sessionToken = token
        self.s3 = s3
    }

    /// The bucket of a region given as `s3://<bucket>`; `nil` for a folder (or a malformed bucket).
    public static func regionBucket(_ place: String) -> String? {
        guard place.hasPrefix("s3://") else { return nil }
        return bucketName(String(place.dropFirst(5)))
    }

    /// S3's bucket naming rules: 3-63 characters of `a-z 0-9 . -`, starting and ending with a letter or digit.
    static func bucketName(_ text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        func alnum(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        guard (3...63).contains(scalars.count), alnum(scalars.first!), alnum(scalars.last!),
              scalars.allSatisfy({ alnum($0) || $0 == "." || $0 == "-" }), !text.contains("..") else { return nil }
        return text
    }

    /// `""`, or a relative folder ending in `/` without `.`/`..` segments.
    static func keyPrefix(_ text: String) -> String? {
        if text.isEmpty { return text }
        guard text.hasSuffix("/"), !text.hasPrefix("/"),
              !text.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }),
              text.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-/".unicodeScalars.contains($0) }) else {
            return nil
        }
        return text
    }
}
