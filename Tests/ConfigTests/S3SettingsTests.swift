import FilestoreConfig
import Foundation
import Testing

/// The S3 backend's settings (`FilestoreConfiguration+S3.swift`): local by default, every S3 setting parsed, each
/// one it needs missing or bad stopping the load with its name, credentials from files, secrets never shown.
extension ConfigurationTests {
    static let s3: [String: String] = [
        "FILESTORE_BLOB_STORE": "s3", "FILESTORE_S3_ENDPOINT": "http://127.0.0.1:7480", "FILESTORE_S3_BUCKET": "filestore-blobs",
        "AWS_ACCESS_KEY_ID": "ACCESSKEYFIXTURE", "AWS_SECRET_ACCESS_KEY": "secret-key-fixture",
    ]

    @Test func theBlobStoreIsLocalByDefaultAndS3WhenSetWithItsSettings() throws {
        let local = try load([:])
        #expect(local.blobs.backend == .local && local.blobs.s3 == nil)
        let c = try load(Self.s3.merging(["FILESTORE_S3_REGION": "eu-west-1", "FILESTORE_S3_PATH_STYLE": "false", "FILESTORE_S3_PART_SIZE": "64MiB", "FILESTORE_S3_PARTS_IN_FLIGHT": "3",
                                          "FILESTORE_S3_KEY_PREFIX": "prod/", "AWS_SESSION_TOKEN": "session-token-fixture"]) { $1 })
        #expect(c.blobs.backend == .s3)
        let s3 = try #require(c.blobs.s3)
        #expect(s3.endpoint.absoluteString == "http://127.0.0.1:7480" && s3.bucket == "filestore-blobs" && s3.region == "eu-west-1")
        #expect(!s3.pathStyle && s3.partSize == 64 << 20 && s3.partsInFlight == 3 && s3.keyPrefix == "prod/")
        #expect(s3.accessKeyID == "ACCESSKEYFIXTURE" && s3.secretAccessKey == "secret-key-fixture" && s3.sessionToken == "session-token-fixture")
        let defaults = try #require(try load(Self.s3).blobs.s3)
        #expect(defaults.region == "us-east-1" && defaults.pathStyle && defaults.partSize == 16 << 20 && defaults.partsInFlight == 1 && defaults.keyPrefix == "" && defaults.sessionToken == nil)
        let shown = c.entries.map { "\($0.variable)=\($0.value ?? "")" }.joined(separator: "\n")
        #expect(!shown.contains("secret-key-fixture") && !shown.contains("session-token-fixture"), "\(shown)")
        #expect(shown.contains("FILESTORE_BLOB_STORE=s3") && shown.contains("AWS_ACCESS_KEY_ID=ACCESSKEYFIXTURE"), "\(shown)")
    }

    @Test func aMissingS3SettingStopsTheLoadNamingIt() throws {
        for variable in ["FILESTORE_S3_ENDPOINT", "FILESTORE_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
            var env = Self.s3
            env[variable] = nil
            let error = try failure(env)
            #expect(error.kind == .missing && error.variable == variable && error.message.contains(variable), "\(variable): \(error)")
        }
        // Without FILESTORE_BLOB_STORE=s3 none of them is needed.
        #expect(try load(["FILESTORE_S3_BUCKET": "filestore-blobs"]).blobs.backend == .local)
    }

    @Test func aBadS3SettingStopsTheLoadNamingItAndNeverRepeatingASecret() throws {
        for (variable, value) in [("FILESTORE_BLOB_STORE", "gcs"), ("FILESTORE_S3_ENDPOINT", "ftp://host"), ("FILESTORE_S3_ENDPOINT", "http://host/path"),
                                  ("FILESTORE_S3_ENDPOINT", "not a url"), ("FILESTORE_S3_BUCKET", "Upper_Case"), ("FILESTORE_S3_BUCKET", "ab"),
                                  ("FILESTORE_S3_REGION", "EU West"), ("FILESTORE_S3_PATH_STYLE", "sometimes"), ("FILESTORE_S3_PART_SIZE", "1MiB"),
                                  ("FILESTORE_S3_PART_SIZE", "6GiB"), ("FILESTORE_S3_PARTS_IN_FLIGHT", "0"), ("FILESTORE_S3_PARTS_IN_FLIGHT", "17"), ("FILESTORE_S3_KEY_PREFIX", "no-slash"), ("FILESTORE_S3_KEY_PREFIX", "../up/")] {
            let error = try failure(Self.s3.merging([variable: value]) { $1 })
            #expect(error.kind == .invalidValue && error.variable == variable, "\(variable)=\(value): \(error)")
        }
        // A region's bucket: only with the S3 backend, and a valid name.
        let local = try failure(["FILESTORE_BLOB_REGIONS": "eu=s3://filestore-eu"])
        #expect(local.variable == "FILESTORE_BLOB_REGIONS" && local.message.contains("FILESTORE_BLOB_STORE=s3"), "\(local)")
        let bad = try failure(Self.s3.merging(["FILESTORE_BLOB_REGIONS": "eu=s3://Bad_Bucket"]) { $1 })
        #expect(bad.variable == "FILESTORE_BLOB_REGIONS" && bad.message.contains("eu"), "\(bad)")
    }

    @Test func regionsMayBeBucketsOfTheSameEndpointOrFolders() throws {
        let c = try load(Self.s3.merging(["FILESTORE_BLOB_REGIONS": "eu=s3://filestore-eu,us=/srv/us"]) { $1 })
        #expect(c.blobs.regions == ["eu": "s3://filestore-eu", "us": "/srv/us"])
        #expect(FilestoreConfiguration.Blobs.regionBucket("s3://filestore-eu") == "filestore-eu")
        #expect(FilestoreConfiguration.Blobs.regionBucket("/srv/us") == nil)
    }

    @Test func s3CredentialsComeFromFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("s3-secrets-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let access = dir.appendingPathComponent("access"), secret = dir.appendingPathComponent("secret")
        try "FILEACCESSKEY\n".write(to: access, atomically: true, encoding: .utf8)
        try "file-secret-fixture\n".write(to: secret, atomically: true, encoding: .utf8)
        var env = Self.s3
        env["AWS_ACCESS_KEY_ID"] = nil
        env["AWS_SECRET_ACCESS_KEY"] = nil
        env["AWS_ACCESS_KEY_ID_FILE"] = access.path
        env["AWS_SECRET_ACCESS_KEY_FILE"] = secret.path
        let s3 = try #require(try load(env).blobs.s3)
        #expect(s3.accessKeyID == "FILEACCESSKEY" && s3.secretAccessKey == "file-secret-fixture")
        // Both the variable and its file: an error naming both.
        let both = try failure(env.merging(["AWS_SECRET_ACCESS_KEY": "secret-key-fixture"]) { $1 })
        #expect(both.variable == "AWS_SECRET_ACCESS_KEY" && both.message.contains("AWS_SECRET_ACCESS_KEY_FILE"), "\(both)")
        #expect(!both.message.contains("secret-key-fixture") && !both.message.contains("file-secret-fixture"))
    }
}
