import Foundation
import Storage

/// Limits and policies of the use cases. Every field has a documented default.
public struct FileCoreConfiguration: Sendable {
    /// Largest upload, direct or resumable, checked from the declared length before any byte is read and again
    /// on the bytes received. Default: 5 GiB.
    public var maxUploadBytes: Int64
    /// Most files in one page of a listing. Default: 100.
    public var maxPageSize: Int
    /// The queue scan jobs go to. Default: `scan`.
    public var scanQueue: String
    /// The queue deletion (purge) jobs go to. Default: `maintenance`.
    public var maintenanceQueue: String
    /// A tenant's byte quota when its row sets none (`tenants.quota_bytes`); `nil`: unlimited. Default: `nil`.
    public var defaultQuotaBytes: Int64?
    /// A tenant's file-count quota when its row sets none (`tenants.quota_files`); `nil`: unlimited. Default: `nil`.
    public var defaultQuotaFiles: Int64?
    /// How long an idempotency key is remembered. Default: 24 hours.
    public var idempotencyRetention: TimeInterval
    /// How long an unfinished resumable upload lives after its creation. Default: 24 hours.
    public var uploadExpiry: TimeInterval
    /// How long a resumable-upload request may hold the upload before another may take it over. Default: 10 minutes.
    public var uploadLeaseDuration: TimeInterval
    /// Webhook delivery and endpoint rules (``WebhookConfiguration``). Default: its defaults.
    public var webhooks = WebhookConfiguration()
    /// Seals webhook signing secrets at rest with the operator's encryption keys. Default: ``SecretSealer/none``
    /// (stored unsealed).
    public var secretSealer: SecretSealer = .none
    /// Compliance: retention classes, erasure and the keys that sign receipts (``ComplianceConfiguration``).
    public var compliance = ComplianceConfiguration()

    public init(maxUploadBytes: Int64 = 5 << 30, maxPageSize: Int = 100, scanQueue: String = "scan", maintenanceQueue: String = "maintenance",
                defaultQuotaBytes: Int64? = nil, defaultQuotaFiles: Int64? = nil, idempotencyRetention: TimeInterval = 24 * 3600,
                uploadExpiry: TimeInterval = 24 * 3600, uploadLeaseDuration: TimeInterval = 600) {
        self.maxUploadBytes = maxUploadBytes
        self.maxPageSize = maxPageSize
        self.scanQueue = scanQueue
        self.maintenanceQueue = maintenanceQueue
        self.defaultQuotaBytes = defaultQuotaBytes
        self.defaultQuotaFiles = defaultQuotaFiles
        self.idempotencyRetention = idempotencyRetention
        self.uploadExpiry = uploadExpiry
        self.uploadLeaseDuration = uploadLeaseDuration
    }
}
