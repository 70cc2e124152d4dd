import JobKit

/// `dsr.erase` (queue `maintenance`): runs one erasure request to its end (``Erasure/run(_:tenant:jobID:)``).
/// Retried with a capped backoff while a store fails; the request stays `running` meanwhile.
public struct EraseRequest: JobArgs, Hashable {
    public static let kind = "dsr.erase"
    public static let defaultQueue = "maintenance"
    public var request_id: String
    public init(request_id: String) { self.request_id = request_id }
    public var insertOptions: InsertOptions { InsertOptions(maxAttempts: 100, uniqueKey: "\(Self.kind):\(request_id)") }
}
