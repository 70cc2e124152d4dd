import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

/// Compliance: erasure requests and their receipts, the receipt keys, retention classes, a file's retention,
/// legal hold and data subjects (docs/COMPLIANCE.md).
struct ComplianceRoutes: Sendable {
    let core: FileCore
    let idempotency: Idempotency

    struct ErasureBody: Decodable { var subject_id: String?; var reason: String?; var reference: String? }
    struct RetentionBody: Decodable { var `class`: String? }
    struct HoldBody: Decodable { var reason: String? }
    struct SubjectsBody: Decodable { var subjects: [String]? }
    struct ClassBody: Decodable { var duration_months: Int?; var clock: String?; var action: String? }

    /// The receipt keys: public, so that anyone holding a receipt can fetch the key to check it against.
    func addPublic(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        table.on(group, prefix: "v1/compliance", "receipt-keys", .get) { _, _ -> ReceiptKeysResource in
            ReceiptKeysResource(keys: try core.configuration.compliance.requireKeys().published)
        }
    }

    func add(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        table.on(group, prefix: "v1", "erasure-requests", .post) { request, context -> Response in
            let identity = try context.requireIdentity()
            try identity.require(.complianceAdmin)
            var request = request
            let bytes = try await request.collectBody(upTo: 64 * 1024)
            let body = try WebhookRoutes.decode(ErasureBody.self, bytes, what: "{\"subject_id\": \"…\", \"reason\": \"…\", \"reference\"?: \"…\"}")
            guard let subject = body.subject_id, let reason = body.reason else { throw FileError(.invalidRequest, "subject_id and reason are required") }
            return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                let (r, created) = try await core.erasure.request(Erasure.Request(subjectID: subject, reason: reason, reference: body.reference),
                                                                  as: identity, requestID: context.id)
                return try Idempotency.json(ErasureRequestResource(r, receipt: try core.erasure.receipt(of: r)), status: created ? .accepted : .ok,
                                            location: "/v1/erasure-requests/\(r.id)")
            }
        }
        table.on(group, prefix: "v1", "erasure-requests", .get) { request, context -> ErasureRequestPage in
            let identity = try context.requireIdentity()
            let q = request.uri.queryParameters
            let limit = try Self.limit(q["limit"].map(String.init))
            let cursor = try q["cursor"].map { try Self.requestID(String($0)) }
            let page = try await core.erasure.list(after: cursor, limit: limit, as: identity)
            return ErasureRequestPage(erasure_requests: try page.map { ErasureRequestResource($0, receipt: try core.erasure.receipt(of: $0)) },
                                      next_cursor: page.count == min(limit, core.configuration.maxPageSize) ? page.last?.id.description : nil)
        }
        table.on(group, prefix: "v1", "erasure-requests/:id", .get) { _, context -> ErasureRequestResource in
            let identity = try context.requireIdentity()
            let r = try await core.erasure.get(try Self.requestID(context.parameters.get("id") ?? ""), as: identity)
            return ErasureRequestResource(r, receipt: try core.erasure.receipt(of: r))
        }
        table.on(group, prefix: "v1", "retention-classes", .get) { _, context -> RetentionClassList in
            let identity = try context.requireIdentity()
            return RetentionClassList(retention_classes: try await core.retention.classes(as: identity).map(RetentionClassResource.init))
        }
        table.on(group, prefix: "v1", "retention-classes/:name", .put) { request, context -> Response in
            let identity = try context.requireIdentity()
            try identity.require(.complianceAdmin)
            let name = context.parameters.get("name") ?? ""
            var request = request
            let bytes = try await request.collectBody(upTo: 16 * 1024)
            let body = try WebhookRoutes.decode(ClassBody.self, bytes, what: "{\"duration_months\": n|null, \"clock\": \"upload|year_end\", \"action\": \"delete|review\"}")
            guard let clock = RetentionClass.Clock(rawValue: body.clock ?? "upload"), let action = RetentionClass.Action(rawValue: body.action ?? "delete") else {
                throw FileError(.invalidRequest, "clock is upload or year_end; action is delete or review")
            }
            return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                let c = try await core.retention.define(RetentionClass(name: name, durationMonths: body.duration_months, clock: clock, action: action),
                                                        as: identity, requestID: context.id)
                return try Idempotency.json(RetentionClassResource(c))
            }
        }
        table.on(group, prefix: "v1", "files/:id/retention", .put) { request, context -> Response in
            let identity = try context.requireIdentity()
            try identity.require(.complianceAdmin)
            let id = try FileRoutes.fileID(context.parameters.get("id") ?? "")
            var request = request
            let bytes = try await request.collectBody(upTo: 16 * 1024)
            guard let name = try WebhookRoutes.decode(RetentionBody.self, bytes, what: "{\"class\": \"…\"}").class else {
                throw FileError(.invalidRequest, "class is required")
            }
            return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                try Idempotency.json(FileResource(try await core.retention.setClass(id, name: name, as: identity, requestID: context.id)))
            }
        }
        for (method, hold) in [(HTTPRequest.Method.put, true), (.delete, false)] {
            table.on(group, prefix: "v1", "files/:id/legal-hold", method) { request, context -> Response in
                let identity = try context.requireIdentity()
                try identity.require(.complianceAdmin)
                let id = try FileRoutes.fileID(context.parameters.get("id") ?? "")
                var request = request
                let bytes = try await request.collectBody(upTo: 16 * 1024)
                guard let reason = try WebhookRoutes.decode(HoldBody.self, bytes, what: "{\"reason\": \"…\"}").reason else {
                    throw FileError(.invalidRequest, "reason is required")
                }
                return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                    try Idempotency.json(FileResource(try await core.retention.legalHold(id, hold: hold, reason: reason, as: identity, requestID: context.id)))
                }
            }
        }
        table.on(group, prefix: "v1", "files/:id/subjects", .get) { _, context -> SubjectList in
            let identity = try context.requireIdentity()
            let id = try FileRoutes.fileID(context.parameters.get("id") ?? "")
            return SubjectList(subjects: try await core.subjects.list(id, as: identity).map { .init(id: $0.id, role: $0.role.rawValue) })
        }
        table.on(group, prefix: "v1", "files/:id/subjects", .patch) { request, context -> Response in
            let identity = try context.requireIdentity()
            try identity.require(.complianceAdmin)
            let id = try FileRoutes.fileID(context.parameters.get("id") ?? "")
            var request = request
            let bytes = try await request.collectBody(upTo: 64 * 1024)
            guard let named = try WebhookRoutes.decode(SubjectsBody.self, bytes, what: "{\"subjects\": [\"…\"]}").subjects else {
                throw FileError(.invalidRequest, "subjects is required")
            }
            return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                let list = try await core.subjects.replace(id, named: named, as: identity, requestID: context.id)
                return try Idempotency.json(SubjectList(subjects: list.map { .init(id: $0.id, role: $0.role.rawValue) }))
            }
        }
    }

    static func requestID(_ text: String) throws -> PrefixedID {
        guard let id = PrefixedID(parsing: text, as: .erasure) else { throw FileError(.invalidID, "'\(text.prefix(64))' is not an erasure request id (dsr_…)") }
        return id
    }

    static func limit(_ text: String?) throws -> Int {
        guard let text else { return 50 }
        guard let n = Int(text), n > 0 else { throw FileError(.invalidRequest, "limit must be a positive integer") }
        return n
    }
}
