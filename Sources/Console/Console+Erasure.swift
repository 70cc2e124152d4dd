import API
import Domain
import FileCore
import Foundation
import Hummingbird
import Storage

/// The erasure page of one tenant (`/admin/erasure?tenant=acme`): its erasure requests, newest first, with state,
/// progress, due date and the last error; a finished request's receipt (`/admin/erasure/{id}?tenant=acme`): every
/// store touched, the exceptions with their legal basis, and whether its signature verifies. Read-only: requests are
/// made by the tenant's compliance:admin through `/v1/erasure-requests` (docs/COMPLIANCE.md). The rows are tenant
/// data, read in that tenant's transaction through the storage layer's `ErasureRepository`; the subject shows only
/// as its keyed hash.
extension Console {
    func addErasurePages(to admin: RouterGroup<FileRequestContext>) {
        admin.get("erasure") { request, _ in
            try await self.page(request) { s in
                let values = try await self.erasureValues(FormData(request.uri.query ?? ""))
                return try self.html(self.templates.render("erasure", values, session: s))
            }
        }
        admin.get("erasure/:id") { request, context in
            try await self.page(request) { s in
                let values = try await self.receiptValues(context.parameters.get("id") ?? "", FormData(request.uri.query ?? ""))
                return try self.html(self.templates.render("receipt", values, session: s))
            }
        }
    }

    func addErasureAPI(_ on: (HTTPRequest.Method, String, @escaping @Sendable (Request, FileRequestContext) async throws -> Response) -> Void) {
        on(.get, "erasure") { request, _ in
            try await self.read(request) { _ in Self.json(try await self.erasureValues(FormData(request.uri.query ?? ""))) }
        }
        on(.get, "erasure/:id") { request, context in
            try await self.read(request) { _ in
                Self.json(try await self.receiptValues(context.parameters.get("id") ?? "", FormData(request.uri.query ?? "")))
            }
        }
    }

    /// The tenant's erasure requests, newest first (at most 200).
    func erasureValues(_ form: FormData) async throws -> [String: Any] {
        guard let tenantText = form["tenant"] else { return ["title": "Erasure", "askTenant": true] }
        let tenant = try Self.tenant(tenantText)
        let repository = ErasureRepository(logger: logger)
        let requests = try await tenants.transaction(tenant) { try await repository.list(after: nil, limit: 200, on: $0) }
        let now = Date()
        return [
            "title": "Erasure", "tenant": tenant.value, "askTenant": false,
            "requests": requests.map { r in
                compact(["id": r.id.description, "state": r.state.rawValue, "scope": r.scope.rawValue, "subjectHash": String(r.subjectHash.prefix(16)),
                         "reference": r.reference, "source": r.source, "receivedAt": isoTime(r.receivedAt), "dueAt": isoTime(r.dueAt),
                         "finishedAt": isoTime(r.finishedAt), "total": r.filesTotal, "erased": r.filesErased, "kept": r.filesKept,
                         "attempts": r.attempts, "lastError": r.lastError, "hasReceipt": r.receipt != nil,
                         "overdue": !r.state.isFinished && r.dueAt < now])
            },
        ]
    }

    /// One request's receipt: its stores, exceptions and items, and the signature's check (against the key the
    /// receipt names; an auditor checks it against the published key with `filestore erasure verify --keys`).
    func receiptValues(_ idText: String, _ form: FormData) async throws -> [String: Any] {
        guard let tenantText = form["tenant"] else { throw FileError(.invalidRequest, "name the tenant (?tenant=…)") }
        let tenant = try Self.tenant(tenantText)
        guard let id = PrefixedID(parsing: idText, as: .erasure) else { throw FileError(.invalidID, "'\(idText.prefix(64))' is not an erasure request id (dsr_…)") }
        let repository = ErasureRepository(logger: logger)
        guard let r = try await tenants.transaction(tenant, { try await repository.request(id, on: $0) }) else {
            throw FileError(.notFound, "no erasure request \(id) for tenant \(tenant)")
        }
        guard let payload = r.receipt, let signature = r.receiptSignature, let keyID = r.receiptKeyID else {
            return ["title": "Erasure request \(id)", "tenant": tenant.value, "id": id.description, "state": r.state.rawValue, "pending": true]
        }
        let body = try JSONDecoder().decode(ErasureReceipt.Body.self, from: Data(payload.utf8))
        return [
            "title": "Receipt of \(id)", "tenant": tenant.value, "id": id.description, "state": r.state.rawValue, "pending": false,
            "keyID": keyID, "signature": String(signature.prefix(24)), "subjectHash": body.subject_hash, "reason": body.reason,
            "completedAt": body.completed_at, "itemCount": body.items.count,
            "stores": body.stores.map { ["store": $0.store, "deleted": $0.deleted, "overwritten": $0.overwritten, "kept": $0.kept] },
            "exceptions": body.exceptions.map { compact(["store": $0.store, "item": $0.item, "basis": $0.basis]) },
            "hasExceptions": !body.exceptions.isEmpty,
            "items": body.items.prefix(500).map { compact(["store": $0.store, "item": $0.item, "method": $0.method, "verification": $0.verification]) },
            "itemsCapped": body.items.count > 500,
        ]
    }
}
