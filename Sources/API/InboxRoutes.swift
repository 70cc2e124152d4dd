import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore

/// `POST /v1/inbox/{source}`: events of other platform services, authenticated by their Standard Webhooks
/// signature (no bearer token), validated, deduplicated by (source, event id) and consumed (``FileCore/Inbox``).
/// Every answer is counted: `filestore_inbox_events_total{outcome}` (accepted, duplicate, unknown_topic, invalid,
/// unauthenticated).
struct InboxRoutes: Sendable {
    let inbox: Inbox

    struct Answer: ResponseCodable, Sendable {
        var status: String
        var topic: String
    }

    func add(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        table.on(group, prefix: "v1/inbox", ":source", .post) { request, context -> Response in
            let source = context.parameters.get("source") ?? ""
            var request = request
            do {
                let bytes = try await request.collectBody(upTo: 256 * 1024)
                let h = request.headers
                func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { h[$0] } }
                let (outcome, topic) = try await inbox.receive(source: source, id: header("webhook-id"), timestamp: header("webhook-timestamp"),
                                                               signature: header("webhook-signature"), body: Array(buffer: bytes))
                Self.count(outcome.rawValue)
                let body = try APIJSON.encoder().encode(Answer(status: outcome.rawValue, topic: topic))
                return Response(status: outcome == .accepted ? .accepted : .ok, headers: [.contentType: APIJSON.contentType],
                                body: .init(byteBuffer: ByteBuffer(data: body)))
            } catch let error as FileError {
                switch error.code {
                case .eventTopicUnknown: Self.count("unknown_topic")
                case .eventSignatureInvalid: Self.count("unauthenticated")
                default: Self.count("invalid")
                }
                throw error
            }
        }
    }

    static func count(_ outcome: String) {
        Counter(label: "filestore_inbox_events_total", dimensions: [("outcome", outcome)]).increment()
    }
}
