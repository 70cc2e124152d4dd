import API
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import JobKit

/// The admin JSON API under `/admin/api` (`openapi/v1.yaml`, tag `admin`): what the pages show and do, for
/// scripts. A bearer token with `jobs:admin` (or `jobs:read` for the reads) authenticates; a browser session
/// works too, with its CSRF token in `X-CSRF-Token` on every POST. Bodies are JSON objects.
extension Console {
    func addAPI(to api: RouterGroup<FileRequestContext>) {
        api.get("overview") { request, _ in try await self.read(request) { _ in Self.json(try await self.overviewValues()) } }
        api.get("jobs") { request, _ in
            try await self.read(request) { _ in
                var values = try await self.jobsValues(FormData(request.uri.query ?? ""))
                for key in ["stateOptions", "actions", "filterFields", "moreURL", "title"] { values.removeValue(forKey: key) }
                return Self.json(values)
            }
        }
        api.get("jobs/:id") { request, context in
            try await self.read(request) { _ in Self.json(try await self.jobValues(id: try Self.jobID(context))) }
        }
        api.post("jobs/bulk") { request, context in
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
        api.post("jobs/:id/:verb") { request, context in
            try await self.action(request, context) { s, form in
                let verb = context.parameters.get("verb") ?? ""
                return Self.json(try await self.jobAction(verb, id: try Self.jobID(context), args: verb == "requeue" ? form["args"] : nil, session: s).values)
            }
        }
        api.get("dlq") { request, _ in try await self.read(request) { _ in Self.json(try await self.dlqValues()) } }
        api.post("dlq/replay") { request, context in
            try await self.action(request, context) { s, form in
                let dryRun = form["dry_run"] != "0"
                return Self.json(try await self.bulkFilter(.replay, form: form, dryRun: dryRun, session: s, label: "dlq").values,
                                 status: dryRun ? .ok : .accepted)
            }
        }
        api.post("queues/:name/:verb") { request, context in
            try await self.action(request, context) { s, form in
                Self.json(try await self.queueAction(context.parameters.get("verb") ?? "", queue: context.parameters.get("name") ?? "",
                                                     limit: form["limit"], session: s).values)
            }
        }
        api.get("schedules") { request, _ in
            try await self.read(request) { _ in Self.json(try await self.schedulesValues(ledgerOf: request.uri.queryParameters.get("ledger").map { String($0) })) }
        }
        api.post("schedules/:name/:verb") { request, context in
            try await self.action(request, context) { s, _ in
                Self.json(try await self.scheduleAction(context.parameters.get("verb") ?? "", name: context.parameters.get("name") ?? "", session: s).values)
            }
        }
        api.get("audit") { request, _ in try await self.read(request) { _ in Self.json(try await self.auditValues()) } }
    }

    /// A JSON answer (sorted keys).
    static func json(_ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values.removeValue(forKey: "title")
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: jsonText(values))))
    }
}
