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

    func apiConfiguration() throws -> APIConfiguration {
        guard maxUploadBytes > 0 else { throw ValidationError("--max-upload-bytes must be positive") }
        return APIConfiguration(maxUploadBytes: maxUploadBytes)
    }

    func api() async throws -> FilestoreProcess.API {
        FilestoreProcess.API(host: apiHost, port: apiPort, configuration: try apiConfiguration(),
                             blobDirectory: URL(fileURLWithPath: blobDir), keys: try await keys(), signer: try signer())
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
