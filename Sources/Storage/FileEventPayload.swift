import Domain
import Foundation

/// The payload of every `file.*.v1` event (JSON Schemas under `events/file-storage/`).
public struct FileEventPayload: Codable, Sendable {
    public var event_id: String
    public var topic: String
    public var occurred_at: Date
    public var tenant_id: String
    public var file_id: String
    public var state: String
    public var size: Int64?
    public var sha256: String?
    public var content_type: String?

    init(file: FileRecord, topic: String) {
        self.event_id = PrefixedID(.event).description
        self.topic = topic
        self.occurred_at = Date()
        self.tenant_id = file.tenant.value
        self.file_id = file.id.description
        self.state = file.state.rawValue
        self.size = file.size
        self.sha256 = file.sha256
        self.content_type = file.contentType
    }
}

extension JSONEncoder {
    /// Stable JSON for events: sorted keys, ISO-8601 times.
    static var events: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return e
    }
}
