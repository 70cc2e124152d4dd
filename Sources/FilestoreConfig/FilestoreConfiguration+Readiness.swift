import Foundation

extension FilestoreConfiguration {
    /// The readiness revalidation's settings (docs/READINESS.md); the thresholds are `ReadinessConfiguration`'s
    /// documented defaults.
    public struct Readiness: Sendable {
        /// `FILESTORE_READINESS_REPO` (flag `readiness --repo`): the repository whose docs, runbooks, event
        /// registry, alert rules and dashboards the repository rows read. Default: `.` (the working directory).
        public var repository = "."
        /// `FILESTORE_READINESS_TENANT`: the tenant whose outbox carries `readiness.degraded.v1` and
        /// `readiness.restored.v1` (subscribe a webhook endpoint there) and that holds the quarantine probe's file.
        /// Default: `ops`.
        public var tenant = "ops"
        /// `FILESTORE_ADVERTISE_HOST`: the host name or address at which other machines reach this process's ops
        /// endpoints, registered in `readiness.processes` for the readiness probes (in Kubernetes: the pod's IP).
        /// Default: unset — the listen address, or this machine's host name when it listens on a wildcard.
        public var advertiseHost: String?

        public init() {}

        init(reading r: inout SettingsReader) throws {
            r.section = "readiness"
            repository = try r.value("FILESTORE_READINESS_REPO", default: ".", accepts: "an existing folder") { text in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory) && isDirectory.boolValue ? text : nil
            }
            advertiseHost = try r.optional("FILESTORE_ADVERTISE_HOST", accepts: "a host name or IP address") { text in
                text.range(of: #"^[A-Za-z0-9.:_-]{1,253}$"#, options: .regularExpression) != nil ? text : nil
            }
            tenant = try r.value("FILESTORE_READINESS_TENANT", default: "ops", accepts: "a tenant id (a-z, 0-9, _ and -, at most 64)") { text in
                text.range(of: #"^[a-z0-9][a-z0-9_-]{0,63}$"#, options: .regularExpression) != nil ? text : nil
            }
        }
    }
}
