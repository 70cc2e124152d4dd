import Foundation
import JobKit

extension FilestoreConfiguration {
    /// How a worker process runs (`work`, `dev`).
    public struct Worker: Sendable {
        /// `FILESTORE_QUEUES` (flag `--queues`): the queues to work, comma-separated; `name:N` sets one queue's
        /// concurrency. Default: `default,scan,optimize,maintenance,webhooks`.
        public var queues: [QueueConfiguration] = []
        /// `FILESTORE_CONCURRENCY` (flag `--concurrency`): jobs run at once per queue in this process, 1-100000.
        /// Default: 10.
        public var concurrency = 10
        /// `FILESTORE_OPS_HOST` (flag `--http-host`): the address of `work`'s /healthz, /readyz and /metrics.
        /// Default: `127.0.0.1`.
        public var opsHost = "127.0.0.1"
        /// `FILESTORE_OPS_PORT` (flag `--http-port`): their port, 0-65535 (`0`: none). Default: 9464.
        public var opsPort: Int? = 9464
        /// `FILESTORE_SHUTDOWN_GRACE` (flag `--shutdown-grace`): seconds running jobs get to finish on SIGTERM.
        /// Default: 25.
        public var shutdownGraceSeconds = 25.0
        /// `FILESTORE_POLL_INTERVAL_MS` (flag `--poll-interval-ms`): the fallback poll when no NOTIFY arrives, at
        /// least 10. Default: 1000.
        public var pollIntervalMS = 1000
        /// `FILESTORE_LEASE_SECONDS` (flag `--lease-seconds`): the lease of a fetched job without a heartbeat, at
        /// least 1. Default: 60.
        public var leaseSeconds = 60.0
        /// `FILESTORE_MAINTENANCE` (flag `--no-maintenance` turns it off): whether this process stands for
        /// maintenance leader. Default: `true`.
        public var maintenance = true
        /// `FILESTORE_DURABLE_FETCH` (flag `--durable-fetch`): fetches wait for a WAL flush too. Default: `false`
        /// (a fetch lost in a database crash only makes its jobs run again).
        public var durableFetch = false

        public init() {}

        static let defaultQueues = "default,scan,optimize,maintenance,webhooks"

        /// The queue worker's configuration (a fresh worker id each call).
        public func jobWorkerConfiguration() -> JobWorkerConfiguration {
            let lease = Duration.milliseconds(Int64(leaseSeconds * 1000))
            return JobWorkerConfiguration(
                queues: queues,
                pollInterval: .milliseconds(pollIntervalMS),
                leaseDuration: lease,
                heartbeatInterval: lease / 6,
                shutdownGracePeriod: .milliseconds(Int64(shutdownGraceSeconds * 1000)),
                maintenance: maintenance ? MaintenanceConfiguration() : nil
            )
        }

        init(reading r: inout SettingsReader) throws {
            r.section = "worker"
            concurrency = try r.value("FILESTORE_CONCURRENCY", default: "10", accepts: "a whole number 1-100000") { Parse.int($0, in: 1...100_000) }
            let concurrency = self.concurrency
            queues = try r.value("FILESTORE_QUEUES", default: Self.defaultQueues,
                                 accepts: "queue names separated by commas, each optionally name:N with N ≥ 1") {
                try Self.parseQueues($0, defaultConcurrency: concurrency)
            }
            opsHost = try r.value("FILESTORE_OPS_HOST", default: opsHost, accepts: "a host name or address") { $0 }
            let port = try r.value("FILESTORE_OPS_PORT", default: "9464", accepts: "a port number 1-65535, or 0 for none") {
                Parse.port($0, allowZero: true)
            }
            opsPort = port == 0 ? nil : port
            shutdownGraceSeconds = try r.value("FILESTORE_SHUTDOWN_GRACE", default: "25", accepts: "a number of seconds ≥ 0") { Parse.seconds($0) }
            pollIntervalMS = try r.value("FILESTORE_POLL_INTERVAL_MS", default: "1000", accepts: "a whole number of milliseconds ≥ 10") {
                Parse.int($0, in: 10...86_400_000)
            }
            leaseSeconds = try r.value("FILESTORE_LEASE_SECONDS", default: "60", accepts: "a number of seconds ≥ 1") { Parse.seconds($0, minimum: 1) }
            maintenance = try r.value("FILESTORE_MAINTENANCE", default: "true", accepts: "true or false", Parse.bool)
            durableFetch = try r.value("FILESTORE_DURABLE_FETCH", default: "false", accepts: "true or false", Parse.bool)
        }

        /// Parses `a,b:20,c` into queue configurations with `defaultConcurrency` where none is given.
        public static func parseQueues(_ text: String, defaultConcurrency: Int) throws -> [QueueConfiguration] {
            let queues = try text.split(separator: ",").map { part in
                let bits = part.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                guard QueueName.isValid(bits[0]) else { throw Detail("invalid queue name '\(bits[0])'") }
                var concurrency = defaultConcurrency
                if bits.count == 2 {
                    guard let n = Int(bits[1]), n > 0 else { throw Detail("invalid concurrency in '\(part)'") }
                    concurrency = n
                }
                return QueueConfiguration(bits[0], concurrency: concurrency)
            }
            guard !queues.isEmpty else { throw Detail("no queue named") }
            return queues
        }
    }
}
