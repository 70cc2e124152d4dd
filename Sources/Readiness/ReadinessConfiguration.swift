import Foundation

/// What a readiness evaluation checks against, with the thresholds of the operational rows. The composition root
/// (`Sources/filestore`) fills it from the process's one configuration; the defaults are the documented ones
/// (docs/READINESS.md).
public struct ReadinessConfiguration: Sendable {
    /// The repository whose files the repository rows read (docs, runbooks, events, alert rules, dashboards).
    public var repository: URL
    /// The schema version this build needs (`FilestoreSchema.requiredVersion`).
    public var requiredSchemaVersion: Int
    /// The scanner this deployment runs: libclamav reads `signatureDirectory`; clamd keeps its own signatures.
    public var scanner: Scanner = .libclamav(directory: "/var/lib/clamav")
    /// Signatures older than this fail S5 (seconds). Default: one day.
    public var signatureMaxAge: Double = 86_400
    /// The signing keys and where each list comes from (a file is dated by its modification time).
    public var signingKeys: [SigningKeys] = []
    /// Keys older than this fail S4 (seconds). Default: 90 days.
    public var keyRotationPeriod: Double = 90 * 86_400
    /// More dead-letter jobs than this in one queue fail F4. Default: 100.
    public var deadLetterMaxJobs = 100
    /// A dead letter older than this fails F4 (nobody triaged it; seconds). Default: 7 days.
    public var deadLetterMaxAge: Double = 7 * 86_400
    /// An undelivered event older than this fails E1 (seconds). Default: 300.
    public var relayMaxLag: Double = 300
    /// The relay's queue (a paused one fails E1). Default: `webhooks`.
    public var relayQueue = "webhooks"
    /// Queues whose pause fails the row of what they carry: the relay's (E1) and the readiness job's own (§17).
    public var readinessQueue = "maintenance"
    /// A registered process whose heartbeat is older than this is stale: named in O1's evidence, not probed.
    /// Default: 60 s (processes beat every 10 s).
    public var heartbeatMaxAge: Double = 60
    /// The timeout of one HTTP probe (seconds). Default: 5.
    public var probeTimeout: Double = 5
    /// The tenant whose outbox carries `readiness.*` events and that holds the quarantine probe's file. Default: `ops`.
    public var operationsTenant = "ops"
    /// Every metric name the code exports (`MetricCatalog`): dashboards may reference only these.
    public var knownMetrics: Set<String> = []
    /// `promtool` (alert rules; O6). Default: found on `PATH`; without it the rules are checked by structure only.
    public var promtool: String? = ReadinessConfiguration.onPath("promtool")
    /// detect-secrets (S1), run through `scripts/scan_secrets.py`. Default: the repository's `.data/venv`, else `PATH`.
    public var detectSecrets: String?
    /// Python for `scripts/scan_secrets.py`. Default: `python3` on `PATH`.
    public var python: String? = ReadinessConfiguration.onPath("python3")
    /// Mints a short-lived `files:read` bearer token for a tenant, so that S5 also probes every registered API
    /// process over HTTP (`GET /v1/files/{id}/content` of the quarantined probe file). `nil` (a process without
    /// the JWT keys): the download guard is probed in-process only, and the evidence says so.
    public var probeToken: (@Sendable (String) async throws -> String)?
    /// The schedule of the revalidation (§17); a missing or paused one fails §17.
    public var scheduleName = "readiness-revalidate"

    public enum Scanner: Sendable, Hashable {
        case libclamav(directory: String)
        case clamd(socket: String)
    }

    /// One list of signing keys: its name (`FILESTORE_JWT_KEYS`), how many keys, and the file it was read from, if any.
    public struct SigningKeys: Sendable, Hashable {
        public var name: String
        public var count: Int
        public var file: String?

        public init(name: String, count: Int, file: String?) {
            self.name = name
            self.count = count
            self.file = file
        }
    }

    public init(repository: URL, requiredSchemaVersion: Int) {
        self.repository = repository
        self.requiredSchemaVersion = requiredSchemaVersion
        let venv = repository.appendingPathComponent(".data/venv/bin/detect-secrets").path
        detectSecrets = FileManager.default.isExecutableFile(atPath: venv) ? venv : Self.onPath("detect-secrets")
    }

    /// The executable `name` on `PATH`, if any.
    public static func onPath(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
