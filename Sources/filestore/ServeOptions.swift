import ArgumentParser

/// Flags of the file API (`serve`, `dev`); each overrides its variable (`docs/CONFIGURATION.md`).
struct ServeOptions: ParsableArguments {
    @Option(name: .customLong("api-port"), help: "Port of the file API and its /healthz, /readyz, /metrics ($FILESTORE_HTTP_PORT, default 8080).")
    var apiPort: String?
    @Option(name: .customLong("api-host"), help: "Address the file API listens on ($FILESTORE_HTTP_HOST, default 127.0.0.1).")
    var apiHost: String?
    @Option(name: .customLong("blob-dir"), help: "Directory of the local blob store ($FILESTORE_BLOB_DIR, default .data/blobs).")
    var blobDir: String?
    @Option(name: .customLong("max-upload-bytes"), help: "Largest upload, e.g. 5GiB, 512MiB or bytes ($FILESTORE_MAX_UPLOAD_BYTES, default 5GiB).")
    var maxUploadBytes: String?
    @Option(name: .customLong("rate-limits"), help: "Per tenant and endpoint class: `upload=20/40,read=100/200,download=200/400,manage=20/40` (per second/burst), or `off` ($FILESTORE_RATE_LIMITS).")
    var rateLimits: String?

    var flags: [String: String] {
        [
            "FILESTORE_HTTP_PORT": apiPort, "FILESTORE_HTTP_HOST": apiHost, "FILESTORE_BLOB_DIR": blobDir,
            "FILESTORE_MAX_UPLOAD_BYTES": maxUploadBytes, "FILESTORE_RATE_LIMITS": rateLimits,
        ].compactMapValues { $0 }
    }
}
