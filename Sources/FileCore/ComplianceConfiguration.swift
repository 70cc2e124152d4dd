import Domain
import Foundation

/// Compliance settings of the use cases. Every field has a documented default.
public struct ComplianceConfiguration: Sendable {
    /// The keys that sign erasure receipts and hash subject ids (`FILESTORE_COMPLIANCE_KEYS`). Default: none —
    /// erasure requests are refused with `COMPLIANCE_NOT_CONFIGURED` and the audit chain is not sealed.
    public var keys: ComplianceKeys?
    /// The built-in retention classes, which a tenant's own class of the same name replaces. Default:
    /// ``RetentionClass/builtIns(taxInvoiceYears:)`` with 10 years (`FILESTORE_RETENTION_TAX_INVOICE_YEARS`).
    public var builtInClasses: [RetentionClass] = RetentionClass.builtIns()
    /// Files an erasure job erases per transaction. Default: 100.
    public var erasureBatchSize: Int = 100
    /// How long after receipt an erasure request is due (GDPR Art. 12(3): one month). Default: 30 days.
    public var erasureDue: TimeInterval = 30 * 86_400
    /// The queue erasure jobs run on. Default: `maintenance`.
    public var queue: String = "maintenance"
    /// The name of the blob store in receipts. Default: `blob:local`.
    public var blobStoreName: String = "blob:local"

    public init() {}

    /// The keys, or `COMPLIANCE_NOT_CONFIGURED`.
    public func requireKeys() throws -> ComplianceKeys {
        guard let keys else {
            throw FileError(.complianceNotConfigured, "erasure needs FILESTORE_COMPLIANCE_KEYS (kid=secret, 32+ bytes), which is not set")
        }
        return keys
    }
}
