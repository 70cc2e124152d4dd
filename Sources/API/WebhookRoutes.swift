import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/v1/webhooks`: the tenant's endpoints, their attempt log and replay (scope `webhooks:admin`).
struct WebhookRoutes: Sendable {
    let core: FileCore
    let idempotency: Idempotency

    struct CreateBody: Decodable {
        var url: String?
        var topics: [String]?
        var description: String?
    }

    /// PATCH: absent fields stay; `description: null` clears it.
    struct PatchBody: Decodable {
        var url: String?
        var topics: [String]?
        var description: String??
        var enabled: Bool?

        enum CodingKeys: String, CodingKey { case url, topics, description, enabled }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            url = try c.decodeIfPresent(String.self, forKey: .url)
            topics = try c.decodeIfPresent([String].self, forKey: .topics)
            description = c.contains(.description) ? .some(try c.decodeNil(forKey: .description) ? nil : try c.decode(String.self, forKey: .description)) : nil
            enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled)
        }
    }

    struct ReplayBody: Decodable {
        var since: Date?
        var topic: String?
        var event_id: String?
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: ByteBuffer, what: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(T.self, from: Data(buffer: bytes)) } catch {
            throw FileError(.invalidRequest, "body must be \(what)")
        }
    }

    func add(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        table.on(group, prefix: "v1", "webhooks", .post) { request, context -> Response in
            let identity = try context.requireIdentity()
            try identity.require(.webhooksAdmin)
            var request = request
            let bytes = try await request.collectBody(upTo: 64 * 1024)
            let body = try Self.decode(CreateBody.self, bytes, what: "{\"url\": \"https://…\", \"topics\": [\"file.*\"], \"description\"?: \"…\"}")
            guard let url = body.url, let topics = body.topics else { throw FileError(.invalidRequest, "url and topics are required") }
            return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                let e = try await core.webhooks.create(url: url, topics: topics, description: body.description, as: identity)
                return try Idempotency.json(WebhookResource(e, showSecret: true), status: .created, location: "/v1/webhooks/\(e.id)")
            }
        }
        table.on(group, prefix: "v1", "webhooks", .get) { request, context -> WebhookPage in
            let identity = try context.requireIdentity()
            let q = request.uri.queryParameters
            let limit = try q["limit"].map { text -> Int in
                guard let n = Int(String(text)), (1...100).contains(n) else { throw FileError(.invalidRequest, "limit must be 1 to 100") }
                return n
            } ?? 50
            let cursor = try q["cursor"].map { try Self.webhookID(String($0)).description }
            let page = try await core.webhooks.list(after: cursor, limit: limit, as: identity)
            return WebhookPage(webhooks: page.map { WebhookResource($0) }, next_cursor: page.count == limit ? page.last?.id.description : nil)
        }
        table.on(group, prefix: "v1", "webhooks/:id", .get) { _, context -> WebhookResource in
            let identity = try context.requireIdentity()
            return WebhookResource(try await core.webhooks.get(try Self.webhookID(context.parameters.get("id") ?? ""), as: identity))
        }
        table.on(group, prefix: "v1", "webhooks/:id", .patch) { request, context -> Response in
            let identity = try context.requireIdentity()
            try identity.require(.webhooksAdmin)
            let id = try Self.webhookID(context.parameters.get("id") ?? "")
            var request = request
            let bytes = try await request.collectBody(upTo: 64 * 1024)
            let body = try Self.decode(PatchBody.self, bytes, what: "an object of url, topics, description, enabled")
            return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                let e = try await core.webhooks.update(id, Webhooks.Change(url: body.url, topics: body.topics, description: body.description,
                                                                            enabled: body.enabled), as: identity)
                return try Idempotency.json(WebhookResource(e))
            }
        }
        table.on(group, prefix: "v1", "webhooks/:id", .delete) { request, context -> Response in
            let identity = try context.requireIdentity()
            let id = try Self.webhookID(context.parameters.get("id") ?? "")
            return try await idempotency.run(request, identity: identity) {
                try await core.webhooks.delete(id, as: identity)
                return .init(status: 204, contentType: APIJSON.contentType, location: nil, body: ByteBuffer())
            }
        }
        table.on(group, prefix: "v1", "webhooks/:id/rotate-secret", .post) { request, context -> Response in
            let identity = try context.requireIdentity()
            let id = try Self.webhookID(context.parameters.get("id") ?? "")
            return try await idempotency.run(request, identity: identity) {
                try Idempotency.json(WebhookResource(try await core.webhooks.rotateSecret(id, as: identity), showSecret: true))
            }
        }
        table.on(group, prefix: "v1", "webhooks/:id/deliveries", .get) { request, context -> WebhookAttemptPage in
            let identity = try context.requireIdentity()
            let id = try Self.webhookID(context.parameters.get("id") ?? "")
            let q = request.uri.queryParameters
            let limit = try q["limit"].map { text -> Int in
                guard let n = Int(String(text)), (1...200).contains(n) else { throw FileError(.invalidRequest, "limit must be 1 to 200") }
                return n
            } ?? 50
            let before = try q["cursor"].map { text -> Int64 in
                guard let n = Int64(String(text)), n > 0 else { throw FileError(.invalidRequest, "cursor must be a positive integer") }
                return n
            }
            let page = try await core.webhooks.attempts(id, before: before, limit: limit, as: identity)
            return WebhookAttemptPage(deliveries: page.map(WebhookAttemptResource.init),
                                      next_cursor: page.count == limit ? page.last.map { String($0.id) } : nil)
        }
        table.on(group, prefix: "v1", "webhooks/:id/replay", .post) { request, context -> Response in
            let identity = try context.requireIdentity()
            try identity.require(.webhooksAdmin)
            let id = try Self.webhookID(context.parameters.get("id") ?? "")
            var request = request
            let bytes = try await request.collectBody(upTo: 64 * 1024)
            let body = bytes.readableBytes == 0 ? ReplayBody() :
                try Self.decode(ReplayBody.self, bytes, what: "{\"since\"?: RFC 3339 time, \"topic\"?: \"…\", \"event_id\"?: \"evt_…\"}")
            if let e = body.event_id, PrefixedID(parsing: e, as: .event) == nil { throw FileError(.invalidID, "'\(e.prefix(64))' is not an event id (evt_…)") }
            return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                let n = try await core.webhooks.replay(id, since: body.since, topic: body.topic, eventID: body.event_id, as: identity)
                return try Idempotency.json(WebhookReplayResult(replayed: n), status: .accepted)
            }
        }
    }

    static func webhookID(_ text: String) throws -> PrefixedID {
        guard let id = PrefixedID(parsing: text, as: .webhook) else {
            throw FileError(.invalidID, "'\(text.prefix(64))' is not a webhook id (whk_…)")
        }
        return id
    }
}
