import Domain
import FileCore
import Foundation
import Hummingbird
import Storage

/// An erasure request as the API returns it. The subject appears only as its keyed hash.
public struct ErasureRequestResource: ResponseCodable, Sendable {
    public var id: String
    public var state: String
    public var scope: String
    public var subject_hash: String
    public var reason: String
    public var reference: String?
    public var source: String
    public var received_at: Date
    /// One month after receipt (GDPR Art. 12(3)), unless the request named another date.
    public var due_at: Date
    public var started_at: Date?
    public var finished_at: Date?
    public var progress: Progress
    /// Why the last attempt failed, while the request is retried.
    public var last_error: String?
    /// The signed receipt, once finished (`filestore erasure verify` checks it offline).
    public var receipt: ErasureReceipt?

    /// Files found, erased and kept so far.
    public struct Progress: Codable, Sendable {
        public var files_total: Int
        public var files_erased: Int
        public var files_kept: Int
        public var attempts: Int
    }

    init(_ r: ErasureRequestRecord, receipt: ErasureReceipt?) {
        id = r.id.description
        state = r.state.rawValue
        scope = r.scope.rawValue
        subject_hash = r.subjectHash
        reason = r.reason
        reference = r.reference
        source = r.source
        received_at = r.receivedAt
        due_at = r.dueAt
        started_at = r.startedAt
        finished_at = r.finishedAt
        progress = Progress(files_total: r.filesTotal, files_erased: r.filesErased, files_kept: r.filesKept, attempts: r.attempts)
        last_error = r.lastError
        self.receipt = receipt
    }
}

/// A page of erasure requests.
public struct ErasureRequestPage: ResponseCodable, Sendable {
    public var erasure_requests: [ErasureRequestResource]
    public var next_cursor: String?
}

/// The published receipt-signing keys.
public struct ReceiptKeysResource: ResponseCodable, Sendable {
    public var keys: [ComplianceKeys.PublishedKey]
}

/// A retention class as the API shows it.
public struct RetentionClassResource: ResponseCodable, Sendable {
    public var name: String
    /// `null`: the class retains nothing.
    public var duration_months: Int?
    public var clock: String
    public var action: String

    init(_ c: RetentionClass) {
        name = c.name
        duration_months = c.durationMonths
        clock = c.clock.rawValue
        action = c.action.rawValue
    }
}

/// The tenant's retention classes.
public struct RetentionClassList: ResponseCodable, Sendable {
    public var retention_classes: [RetentionClassResource]
}

/// A file's data subjects (compliance:admin).
public struct SubjectList: ResponseCodable, Sendable {
    public var subjects: [Subject]
    public struct Subject: Codable, Sendable {
        public var id: String
        public var role: String
    }
}
