import API
import Domain
import Foundation
import Hummingbird
import Storage

/// The webhooks page of one tenant (`/admin/webhooks?tenant=acme`): its endpoints, failing ones first, each
/// failing endpoint's latest attempts, the dead deliveries, and a replay of them (dry run first). Webhook rows are
/// tenant data under row-level security, so the console reads them in that tenant's transaction
/// (`TenantDatabase`), through the storage layer's `WebhookRepository`; secrets are never shown.
extension Console {
    func addWebhookPages(to admin: RouterGroup<FileRequestContext>) {
        admin.get("webhooks") { request, _ in
            try await self.page(request) { s in
                let values = try await self.webhooksValues(FormData(request.uri.query ?? ""))
                return try self.html(self.templates.render("webhooks", self.notice(request, values), session: s))
            }
        }
        admin.post("webhooks/replay") { request, context in
            try await self.action(request, context) { s, form in
                let result = try await self.webhookReplay(form, dryRun: form["confirm"] != "1", session: s)
                if form["confirm"] == "1" {
                    return Self.redirect("/admin/webhooks?tenant=\(Self.urlEncode(form["tenant"] ?? ""))&notice=" + Self.urlEncode(result.message))
                }
                let fields = ["tenant", "endpoint"].compactMap { k in form[k].map { ["name": k, "value": $0] } }
                let values: [String: Any] = [
                    "title": "Replay webhook deliveries", "heading": "Replay dead webhook deliveries", "matched": result.matched,
                    "canRun": result.matched > 0, "action": "replay", "capped": false, "cap": 0,
                    "filterJSON": jsonText(Dictionary(uniqueKeysWithValues: fields.map { ($0["name"]!, $0["value"]!) })),
                    "postURL": "/admin/webhooks/replay", "fields": fields, "batch": result.matched,
                    "backURL": "/admin/webhooks?tenant=\(Self.urlEncode(form["tenant"] ?? ""))",
                ]
                return try self.html(self.templates.render("confirm", values, session: s))
            }
        }
    }

    func addWebhookAPI(_ on: (HTTPRequest.Method, String, @escaping @Sendable (Request, FileRequestContext) async throws -> Response) -> Void) {
        on(.get, "webhooks") { request, _ in
            try await self.read(request) { _ in Self.json(try await self.webhooksValues(FormData(request.uri.query ?? ""))) }
        }
        on(.post, "webhooks/replay") { request, context in
            try await self.action(request, context) { s, form in
                let dryRun = form["dry_run"] != "0"
                return Self.json(try await self.webhookReplay(form, dryRun: dryRun, session: s).values)
            }
        }
    }

    /// The tenant's endpoints (failing first), the latest attempts of the failing ones, its dead deliveries.
    func webhooksValues(_ form: FormData) async throws -> [String: Any] {
        guard let tenantText = form["tenant"] else { return ["title": "Webhooks", "askTenant": true] }
        let tenant = try Self.tenant(tenantText)
        let repository = WebhookRepository(logger: logger)
        let (endpoints, attempts, dead) = try await tenants.transaction(tenant) { tx in
            let endpoints = try await repository.list(after: nil, limit: 200, on: tx)
                .sorted { ($0.failingSince ?? .distantFuture, $0.id) < ($1.failingSince ?? .distantFuture, $1.id) }
            var attempts: [WebhookAttemptRecord] = []
            for e in endpoints where e.failingSince != nil || !e.enabled {
                attempts += try await repository.attempts(e.id, before: nil, limit: 10, on: tx)
            }
            let dead = try await repository.deliveries(state: "dead", endpoint: nil, topic: nil, since: nil, limit: 200, on: tx)
            return (endpoints, attempts, dead)
        }
        return [
            "title": "Webhooks", "tenant": tenant.value, "askTenant": false,
            "endpoints": endpoints.map { e in
                compact(["id": e.id.description, "url": e.url, "topics": e.topics.joined(separator: ", "), "enabled": e.enabled,
                         "disabledReason": e.disabledReason, "failingSince": isoTime(e.failingSince), "failing": e.failingSince != nil])
            },
            "attempts": attempts.sorted { $0.id > $1.id }.map { a in
                compact(["endpoint": a.endpointID, "event": a.eventID, "topic": a.topic, "attempt": a.attempt, "at": isoTime(a.at),
                         "status": a.statusCode.map(String.init) ?? "–", "latencyMs": a.latencyMilliseconds, "error": a.error,
                         "outcome": a.outcome])
            },
            "dead": dead.map { d in
                compact(["id": d.id, "endpoint": d.endpointID, "event": d.eventID, "topic": d.topic, "attempts": d.attempts,
                         "createdAt": isoTime(d.createdAt)])
            },
            "hasDead": !dead.isEmpty,
        ]
    }

    /// Counts (dry run) or replays the tenant's dead deliveries, of one endpoint when named; audited.
    func webhookReplay(_ form: FormData, dryRun: Bool, session: ConsoleSession) async throws -> ActionResult {
        guard let tenantText = form["tenant"] else { throw FileError(.invalidRequest, "name the tenant") }
        let tenant = try Self.tenant(tenantText)
        let endpoint = try form["endpoint"].map { text -> String in
            guard let id = PrefixedID(parsing: text, as: .webhook) else { throw FileError(.invalidID, "endpoint must be a whk_ id") }
            return id.description
        }
        let repository = WebhookRepository(logger: logger)
        let n = try await tenants.transaction(tenant) { tx in
            try await repository.replay(endpoint: endpoint, since: nil, topic: nil, eventID: nil, dryRun: dryRun, on: tx)
        }
        let audit = try await self.repository.audit(actor: session.actor, action: "webhook_replay", target: "tenant:\(tenant.value)",
                                                    filter: jsonText(compact(["tenant": tenant.value, "endpoint": endpoint])),
                                                    matched: n, done: dryRun ? 0 : n, status: dryRun ? "dry_run" : "done")
        return ActionResult(message: dryRun ? "dry run: \(n) dead deliveries match" : "replayed \(n) webhook deliveries",
                            matched: n, changed: [], auditID: audit)
    }

    static func tenant(_ text: String) throws -> TenantID {
        do { return try TenantID(text) } catch { throw FileError(.invalidTenant, "not a tenant id: '\(text.prefix(64))'") }
    }
}
