import FileCore
import Foundation

extension FilestoreConfiguration {
    /// Webhook delivery (the relay) and the inbox.
    public struct Webhooks: Sendable {
        /// The use cases' webhook rules (``FileCore/WebhookConfiguration``), from the variables below.
        public var delivery = WebhookConfiguration()
        /// `FILESTORE_WEBHOOK_SWEEP_INTERVAL`: how often the leader looks for relay work left behind. Default: 10 s.
        public var sweepInterval: Duration = .seconds(10)
        /// `FILESTORE_INBOX_SECRETS`: the Standard Webhooks secret of each inbox source, `source=whsec_…` separated by
        /// commas (several per source during a rotation). Default: none (the inbox refuses every source).
        public var inboxSecrets: [String: [String]] = [:]

        public init() {}

        static let defaultSchedule = "5s,5m,30m,2h,5h,10h,10h"

        init(reading r: inout SettingsReader) throws {
            r.section = "webhooks"
            delivery.allowPrivate = try r.value("FILESTORE_WEBHOOK_ALLOW_PRIVATE", default: "false", accepts: "true/false") { Parse.bool($0) }
            delivery.retrySchedule.delays = try r.value("FILESTORE_WEBHOOK_RETRY_SCHEDULE", default: Self.defaultSchedule,
                                                        accepts: "durations (ms, s, m, h, d) separated by commas, at most 50") {
                RetrySchedule.parseDelays($0)
            }
            delivery.retrySchedule.jitter = try r.value("FILESTORE_WEBHOOK_RETRY_JITTER", default: "0.2", accepts: "a fraction 0-0.9") {
                Double($0).flatMap { (0...0.9).contains($0) ? $0 : nil }
            }
            let timeout = try r.value("FILESTORE_WEBHOOK_TIMEOUT", default: "15", accepts: "seconds 0.1-300") {
                Parse.seconds($0, minimum: 0.1).flatMap { $0 <= 300 ? $0 : nil }
            }
            delivery.timeout = .milliseconds(Int64(timeout * 1000))
            delivery.disableAfter = try r.value("FILESTORE_WEBHOOK_DISABLE_AFTER", default: "5d", accepts: "a duration (ms, s, m, h, d) over 0") {
                RetrySchedule.parseDelays($0).flatMap { $0.count == 1 && $0[0] > 0 ? $0[0] : nil }
            }
            delivery.rotationOverlap = try r.value("FILESTORE_WEBHOOK_ROTATION_OVERLAP", default: "24h", accepts: "a duration (ms, s, m, h, d)") {
                RetrySchedule.parseDelays($0).flatMap { $0.count == 1 ? $0[0] : nil }
            }
            delivery.lease = try r.value("FILESTORE_WEBHOOK_LEASE", default: "60s", accepts: "a duration over the timeout") {
                RetrySchedule.parseDelays($0).flatMap { $0.count == 1 && $0[0] > timeout ? $0[0] : nil }
            }
            delivery.batchSize = try r.value("FILESTORE_WEBHOOK_BATCH_SIZE", default: String(WebhookConfiguration().batchSize),
                                             accepts: "an integer 1-5000") { Int($0).flatMap { (1...5000).contains($0) ? $0 : nil } }
            delivery.concurrency = try r.value("FILESTORE_WEBHOOK_CONCURRENCY", default: String(WebhookConfiguration().concurrency),
                                               accepts: "an integer 1-1024") { Int($0).flatMap { (1...1024).contains($0) ? $0 : nil } }
            delivery.lanes = try r.value("FILESTORE_WEBHOOK_LANES", default: String(WebhookConfiguration().lanes),
                                         accepts: "an integer 1-16") { Int($0).flatMap { (1...16).contains($0) ? $0 : nil } }
            let sweep = try r.value("FILESTORE_WEBHOOK_SWEEP_INTERVAL", default: "10s", accepts: "a duration of at least 100ms") {
                RetrySchedule.parseDelays($0).flatMap { $0.count == 1 && $0[0] >= 0.1 ? $0[0] : nil }
            }
            sweepInterval = .milliseconds(Int64(sweep * 1000))
            inboxSecrets = try r.value("FILESTORE_INBOX_SECRETS", default: "", accepts: "source=whsec_… pairs separated by commas",
                                       secret: true, redact: Self.redact) { try Self.parseInboxSecrets($0) }
        }

        static func redact(_ text: String) -> String {
            text.split(separator: ",").map { $0.split(separator: "=", maxSplits: 1).first.map { "\($0)=<redacted>" } ?? "" }.joined(separator: ",")
        }

        struct BadSecret: Error, CustomStringConvertible { var description: String }

        static func parseInboxSecrets(_ text: String) throws -> [String: [String]] {
            var out: [String: [String]] = [:]
            for pair in text.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, InboxSources.isValidName(parts[0]) else {
                    throw BadSecret(description: "each entry is source=whsec_… with a source of a-z 0-9 _ -")
                }
                guard let key = WebhookSigner.key(of: parts[1]), key.count >= 24 else {
                    throw BadSecret(description: "the secret of source '\(parts[0])' is not whsec_ + base64 of 24+ bytes")
                }
                out[parts[0], default: []].append(parts[1])
            }
            return out
        }
    }
}
