import Domain
import Foundation

/// An erasure request as stored (`erasure_requests`).
public struct ErasureRequestRecord: Sendable, Hashable {
    /// What the request erases: one subject's data, or everything of the tenant (offboarding).
    public enum Scope: String, Sendable, Hashable, Codable { case subject, tenant }
    /// `received → running → completed | completed_with_exceptions | failed`.
    public enum State: String, Sendable, Hashable, Codable, CaseIterable {
        case received, running, completed
        case completedWithExceptions = "completed_with_exceptions"
        case failed
        public var isFinished: Bool { self == .completed || self == .completedWithExceptions || self == .failed }
    }

    public var id: PrefixedID
    public var tenant: TenantID
    /// The subject's id while the request runs; `nil` once it finished (only ``subjectHash`` remains).
    public var subjectID: String?
    public var subjectHash: String
    public var scope: Scope
    public var reason: String
    public var reference: String?
    public var source: String
    public var requestedBy: String
    public var state: State
    public var receivedAt: Date
    public var dueAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var filesTotal: Int
    public var filesErased: Int
    public var filesKept: Int
    public var attempts: Int
    public var lastError: String?
    /// The signed receipt's bytes (canonical JSON), its signature (base64) and the signing key's id.
    public var receipt: String?
    public var receiptSignature: String?
    public var receiptKeyID: String?

    public init(id: PrefixedID, tenant: TenantID, subjectID: String?, subjectHash: String, scope: Scope, reason: String, reference: String?,
                source: String, requestedBy: String, state: State = .received, receivedAt: Date = Date(), dueAt: Date,
                startedAt: Date? = nil, finishedAt: Date? = nil, filesTotal: Int = 0, filesErased: Int = 0, filesKept: Int = 0,
                attempts: Int = 0, lastError: String? = nil, receipt: String? = nil, receiptSignature: String? = nil, receiptKeyID: String? = nil) {
        self.id = id
        self.tenant = tenant
        self.subjectID = subjectID
        self.subjectHash = subjectHash
        self.scope = scope
        self.reason = reason
        self.reference = reference
        self.source = source
        self.requestedBy = requestedBy
        self.state = state
        self.receivedAt = receivedAt
        self.dueAt = dueAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.filesTotal = filesTotal
        self.filesErased = filesErased
        self.filesKept = filesKept
        self.attempts = attempts
        self.lastError = lastError
        self.receipt = receipt
        self.receiptSignature = receiptSignature
        self.receiptKeyID = receiptKeyID
    }
}

/// One thing an erasure touched: in which store, what, how, on what basis it was kept, and how it was checked.
public struct ErasureItem: Sendable, Hashable, Codable {
    /// How the item was dealt with.
    public enum Method: String, Sendable, Hashable, Codable { case deleted, overwritten, kept }

    public var store: String
    public var item: String
    public var method: Method
    /// Why a kept item was kept (its legal basis).
    public var basis: String?
    /// How it was verified gone, e.g. `read: not found`, `select: 0 rows`.
    public var verification: String
    public var at: Date

    public init(store: String, item: String, method: Method, basis: String? = nil, verification: String, at: Date = Date()) {
        self.store = store
        self.item = item
        self.method = method
        self.basis = basis
        self.verification = verification
        self.at = at
    }
}
