import Foundation

/// A retention class: how long a file of the class is kept, from when, and what happens at expiry. A file's
/// retain-until date is computed once, when the class is given, and only ever moves later.
public struct RetentionClass: Sendable, Hashable, Codable {
    /// When the retention clock starts.
    public enum Clock: String, Sendable, Hashable, Codable, CaseIterable {
        /// At the upload.
        case upload
        /// At the end of the calendar year of the upload (UTC), as tax law counts.
        case yearEnd = "year_end"
    }

    /// What the retention sweep does once the date passed.
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        /// Deletes the file (its bytes are purged).
        case delete
        /// Flags it for review (`retention.review_since` on the file); nothing is deleted.
        case review
    }

    public var name: String
    /// `nil`: the class retains nothing (`standard`).
    public var durationMonths: Int?
    public var clock: Clock
    public var action: Action

    public init(name: String, durationMonths: Int?, clock: Clock = .upload, action: Action = .delete) {
        self.name = name
        self.durationMonths = durationMonths
        self.clock = clock
        self.action = action
    }

    /// Whether `name` is a valid class name (`^[a-z][a-z0-9_]{0,63}$`).
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.utf8.count <= 64 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// The date a file uploaded at `uploadedAt` is kept until under this class; `nil` for none.
    public func retainUntil(uploadedAt: Date) -> Date? {
        guard let months = durationMonths else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var start = uploadedAt
        if clock == .yearEnd {
            let year = calendar.component(.year, from: uploadedAt)
            start = calendar.date(from: DateComponents(year: year + 1, month: 1, day: 1))!
        }
        return calendar.date(byAdding: .month, value: months, to: start)
    }

    /// The built-in classes: `standard` (no retention), `audit_log` (7 years), `tax_invoice` (10 years from the
    /// end of the year; a jurisdiction sets another duration in configuration — Germany's is 8 years since 2025).
    public static func builtIns(taxInvoiceYears: Int = 10) -> [RetentionClass] {
        [
            RetentionClass(name: "standard", durationMonths: nil),
            RetentionClass(name: "audit_log", durationMonths: 7 * 12),
            RetentionClass(name: "tax_invoice", durationMonths: taxInvoiceYears * 12, clock: .yearEnd),
        ]
    }
}

/// A file's retention and legal hold, as stored on its row.
public struct FileRetention: Sendable, Hashable, Codable {
    public var className: String
    public var retainUntil: Date?
    public var action: RetentionClass.Action?
    /// Set when the sweep flagged the expired file for review.
    public var reviewSince: Date?
    public var legalHold: LegalHold?

    public init(className: String = "standard", retainUntil: Date? = nil, action: RetentionClass.Action? = nil,
                reviewSince: Date? = nil, legalHold: LegalHold? = nil) {
        self.className = className
        self.retainUntil = retainUntil
        self.action = action
        self.reviewSince = reviewSince
        self.legalHold = legalHold
    }

    /// A legal hold: why, since when, by whom.
    public struct LegalHold: Sendable, Hashable, Codable {
        public var reason: String
        public var since: Date
        public var by: String
        public init(reason: String, since: Date, by: String) {
            self.reason = reason
            self.since = since
            self.by = by
        }
    }

    /// Whether the file must be kept at `now`, and on which legal basis (GDPR Art. 17(3)): `nil` if it may go.
    public func keptBasis(at now: Date = Date()) -> String? {
        if let hold = legalHold { return "legal hold (Art. 17(3)(e) GDPR: establishment, exercise or defence of legal claims): \(hold.reason)" }
        if let until = retainUntil, until > now {
            return "retention class \(className) until \(ISO8601DateFormatter().string(from: until)) (Art. 17(3)(b) GDPR: a legal obligation to retain)"
        }
        return nil
    }
}
