import API
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import JobKit
import Synchronization

/// The admin JSON API under `/admin/api` (`openapi/v1.yaml`, tag `admin`): what the pages show and do, for
/// scripts. A bearer token with `jobs:admin` (or `jobs:read` for the reads) authenticates; a browser session
/// works too, with its CSRF token in `X-CSRF-Token` on every POST. Bodies are JSON objects.
extension Console {
    func addAPI(to api: RouterGroup<FileRequestContext>) {
        func on(_ method: HTTPRequest.Method, _ path: String,
                _ handler: @escaping @Sendable (Request, FileRequestContext) async throws -> Response) {
            apiRoutes.record(method.rawValue, "/admin/api/" + path)
            api.on(RouterPath(path), method: method, use: handler)
        }
        on(.get, "overview") { request, _ in try await self.read(request) { _ in Self.json(try await self.overviewValues()) } }
        on(.get, "jobs") { request, _ in
            try await self.read(request) { _ in
                var values = try await self.jobsValues(FormData(request.uri.query ?? ""))
                for key in ["stateOptions", "actions", "filterFields", "moreURL", "title"] { values.removeValue(forKey: key) }
                return Self.json(values)
            }
        }
        on(.get, "jobs/:id") { request, context in
            try await self.read(request) { _ in Self.json(try await self.jobValues(id: try Self.jobID(context))) }
        }
        on(.post, "jobs/bulk") { request, context in
            try await self.action(request, context) { s, form in
                let action = try Self.bulkAction(form["action"])
                if !form.all("id").isEmpty {
                    let ids = try form.all("id").map { v -> Int64 in
                        guard let n = Int64(v), n > 0 else { throw FileError(.invalidRequest, "ids must be job ids") }
                        return n
                    }
                    return Self.json(try await self.bulkSelection(action, ids: ids, session: s).values)
                }
                let dryRun = form["dry_run"] != "0"
                return Self.json(try await self.bulkFilter(action, form: form, dryRun: dryRun, session: s).values, status: dryRun ? .ok : .accepted)
            }
        }
        on(.post, "jobs/:id/:verb") { request, context in
            try await self.action(request, context) { s, form in
                let verb = context.parameters.get("verb") ?? ""
                return Self.json(try await self.jobAction(verb, id: try Self.jobID(context), args: verb == "requeue" ? form["args"] : nil, session: s).values)
            }
        }
        on(.get, "dlq") { request, _ in try await self.read(request) { _ in Self.json(try await self.dlqValues()) } }
        on(.post, "dlq/replay") { request, context in
            try await self.action(request, context) { s, form in
                let dryRun = form["dry_run"] != "0"
                return Self.json(try await self.bulkFilter(.replay, form: form, dryRun: dryRun, session: s, label: "dlq").values,
                                 status: dryRun ? .ok : .accepted)
            }
        }
        on(.post, "queues/:name/:verb") { request, context in
            try await self.action(request, context) { s, form in
                Self.json(try await self.queueAction(context.parameters.get("verb") ?? "", queue: context.parameters.get("name") ?? "",
                                                     limit: form["limit"], session: s).values)
            }
        }
        on(.get, "schedules") { request, _ in
            try await self.read(request) { _ in Self.json(try await self.schedulesValues(ledgerOf: request.uri.queryParameters.get("ledger").map { String($0) })) }
        }
        on(.post, "schedules/:name/:verb") { request, context in
            try await self.action(request, context) { s, _ in
                Self.json(try await self.scheduleAction(context.parameters.get("verb") ?? "", name: context.parameters.get("name") ?? "", session: s).values)
            }
        }
        addWebhookAPI(on)
        addErasureAPI(on)
        on(.get, "audit") { request, _ in try await self.read(request) { _ in Self.json(try await self.auditValues()) } }
    }

    /// The admin API's routes as `openapi/v1.yaml` names them (`POST /admin/api/jobs/{id}/{verb}`), recorded as
    /// they are registered so a test can compare both ways.
    public var documentedRoutes: [String] { apiRoutes.all }

    /// A JSON answer (sorted keys).
    static func json(_ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values.removeValue(forKey: "title")
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: jsonText(values))))
    }
}

/// The admin API's routes, recorded at registration.
final class ConsoleRouteList: Sendable {
    private let routes = Mutex<Set<String>>([])
    func record(_ method: String, _ path: String) {
        let openAPI = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        routes.withLock { _ = $0.insert("\(method) /\(openAPI)") }
    }
    var all: [String] { routes.withLock { $0.sorted() } }
}
