import Domain
import Foundation
import Hummingbird
import Storage

/// A file as the API returns it.
public struct FileResource: ResponseCodable, Sendable, Hashable {
    public var id: String
    public var state: String
    public var name: String?
    public var size: Int64?
    public var sha256: String?
    public var content_type: String?
    public var declared_content_type: String?
    /// Whether `declared_content_type` disagrees with the type sniffed from the bytes (`content_type`, which is
    /// what the file is served as).
    public var type_mismatch: Bool
    /// The virus scan's verdict.
    public var scan: ScanResource
    /// Stored variants (`thumb`, `preview`, `scrubbed` for images), once the file is optimized.
    public var variants: [VariantResource]
    public var created_at: Date
    public var updated_at: Date
    /// What the original's metadata carried and whether the served bytes are scrubbed of it (`null` until the
    /// optimize step looked).
    public var metadata: MetadataResource?
    /// The file's retention class and retain-until date (before it the file cannot be deleted or erased).
    public var retention: RetentionResource
    /// The legal hold, if any: while it stands the file cannot be deleted, erased or swept.
    public var legal_hold: LegalHoldResource?

    /// A file's retention: its class, the date it is kept until (`null`: none), the action at expiry, and since
    /// when it waits for review (class action `review`, expired).
    public struct RetentionResource: Codable, Sendable, Hashable {
        public var `class`: String
        public var retain_until: Date?
        public var action: String?
        public var review_since: Date?
    }

    /// A legal hold: why, since when, by whom.
    public struct LegalHoldResource: Codable, Sendable, Hashable {
        public var reason: String
        public var since: Date
        public var by: String
    }

    /// The scan's verdict: `pending`, `clean`, `infected` (with the signature) or `limit_exceeded` (a scan limit
    /// was hit; the file follows the limit policy).
    public struct ScanResource: Codable, Sendable, Hashable {
        public var status: String
        public var signature: String?
        public var scanned_at: Date?
    }

    /// `found`: the kinds of personal data in the original's metadata (`gps`, `device`, `author`, `timestamps`);
    /// `scrubbed`: whether what is served was re-encoded without metadata (an image's variants) or is the file
    /// as uploaded (`false`: whatever `found` lists is served with it).
    public struct MetadataResource: Codable, Sendable, Hashable {
        public var found: [String]
        public var scrubbed: Bool
        public init(found: [String], scrubbed: Bool) {
            self.found = found
            self.scrubbed = scrubbed
        }
    }

    public struct VariantResource: Codable, Sendable, Hashable {
        public var name: String
        public var content_type: String
        public var size: Int64
        public var sha256: String
        public var width: Int?
        public var height: Int?
    }

    init(_ f: FileRecord, variants: [VariantInfo] = []) {
        id = f.id.description
        state = f.state.rawValue
        name = f.originalName
        size = f.size
        sha256 = f.sha256
        content_type = f.contentType
        declared_content_type = f.declaredType
        type_mismatch = f.typeMismatch
        let status = f.scannedAt == nil ? "pending"
            : f.scanSignature == nil ? "clean"
            : f.scanSignature!.hasPrefix("Heuristics.Limits.Exceeded") ? "limit_exceeded" : "infected"
        scan = ScanResource(status: status, signature: f.scanSignature, scanned_at: f.scannedAt)
        self.variants = variants.map {
            VariantResource(name: $0.name, content_type: $0.contentType, size: $0.size, sha256: $0.sha256, width: $0.width, height: $0.height)
        }
        created_at = f.createdAt
        updated_at = f.updatedAt
        if let found = f.metadataFound, let scrubbed = f.metadataScrubbed { metadata = MetadataResource(found: found, scrubbed: scrubbed) }
        retention = RetentionResource(class: f.retention.className, retain_until: f.retention.retainUntil, action: f.retention.action?.rawValue,
                                      review_since: f.retention.reviewSince)
        legal_hold = f.retention.legalHold.map { LegalHoldResource(reason: $0.reason, since: $0.since, by: $0.by) }
    }
}

/// A page of files.
public struct FilePage: ResponseCodable, Sendable {
    public var files: [FileResource]
    /// Pass as `cursor` for the next page; `null` on the last page.
    public var next_cursor: String?
}
