import API
import ArgumentParser
import Foundation
import JobKit
import Storage

/// Options of the file API (`serve`, `dev`).
struct ServeOptions: ParsableArguments {
    @Option(name: .customLong("api-port"), help: "Port of the file API (and its /healthz, /readyz, /metrics).")
    var apiPort = Int(ProcessInfo.processInfo.environment["FILESTORE_HTTP_PORT"] ?? "") ?? 8080
    @Option(name: .customLong("api-host"), help: "Address the file API listens on.")
    var apiHost = ProcessInfo.processInfo.environment["FILESTORE_HTTP_HOST"] ?? "127.0.0.1"
    @Option(name: .customLong("blob-dir"), help: "Directory of the local blob store (default $FILESTORE_BLOB_DIR, else .data/blobs).")
    var blobDir = ProcessInfo.processInfo.environment["FILESTORE_BLOB_DIR"] ?? ".data/blobs"
    @Option(name: .customLong("max-upload-bytes"), help: "Largest direct upload.")
    var maxUploadBytes: Int64 = Int64(ProcessInfo.processInfo.environment["FILESTORE_MAX_UPLOAD_BYTES"] ?? "") ?? (5 << 30)

    @Option(name: .customLong("rate-limits"), help: "Per tenant and endpoint class: `upload=20/40,read=100/200,download=200/400,manage=20/40` (per second/burst), or `off`.")
    var rateLimits = ProcessInfo.processInfo.environment["FILESTORE_RATE_LIMITS"] ?? ""

    func limiter() throws -> RateLimiter {
        if rateLimits == "off" { return RateLimiter(limits: [:]) }
        var limits = RateLimiter.defaultLimits
        for part in rateLimits.split(separator: ",") where !part.isEmpty {
            let kv = part.split(separator: "=", maxSplits: 1)
            let nums = kv.count == 2 ? kv[1].split(separator: "/").compactMap { Double($0) } : []
            guard kv.count == 2, let cls = RateLimiter.EndpointClass(rawValue: String(kv[0])), nums.count == 2, nums[0] > 0, nums[1] >= 1 else {
                throw ValidationError("--rate-limits: '\(part)' is not class=perSecond/burst with class one of upload, read, download, manage")
            }
            limits[cls] = .init(perSecond: nums[0], burst: nums[1])
        }
        return RateLimiter(limits: limits)
    }

    func apiConfiguration() throws -> APIConfiguration {
        guard maxUploadBytes > 0 else { throw ValidationError("--max-upload-bytes must be positive") }
        return APIConfiguration(maxUploadBytes: maxUploadBytes)
    }

    func api(blobs: (any BlobStore)? = nil) async throws -> FilestoreProcess.API {
        FilestoreProcess.API(host: apiHost, port: apiPort, configuration: try apiConfiguration(),
                             blobs: try blobs ?? makeBlobStore(directory: blobDir), keys: try await keys(), signer: try signer(),
                             limiter: try limiter())
    }

    /// Download-URL keys from `FILESTORE_URL_KEYS` (`kid=secret,…`) or `FILESTORE_URL_KEYS_FILE`; the first signs.
    /// `FILESTORE_URL_MAX_TTL` (seconds, default 3600) caps a URL's lifetime.
    func signer(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> URLSigner {
        var text = env["FILESTORE_URL_KEYS"] ?? ""
        if let path = env["FILESTORE_URL_KEYS_FILE"] { text += "\n" + ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "") }
        let maxTTL = env["FILESTORE_URL_MAX_TTL"].flatMap(Double.init) ?? 3600
        do { return try URLSigner(keys: TokenKeys.parse(text), maximumTTL: maxTTL) } catch {
            throw CLIError("cannot load URL signing keys: \(error). Set FILESTORE_URL_KEYS=kid=secret[,kid=secret] (secrets of 32+ bytes) or FILESTORE_URL_KEYS_FILE")
        }
    }

    func keys() async throws -> TokenKeys {
        do { return try await TokenKeys.fromEnvironment() } catch {
            throw CLIError("cannot load JWT keys: \(error). Set FILESTORE_JWT_KEYS=kid=secret[,kid=secret] (secrets of 32+ bytes) or FILESTORE_JWT_KEYS_FILE")
        }
    }
}
