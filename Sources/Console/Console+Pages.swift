import API
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import JobKit

/// The pages under `/admin` and their forms: each form posts its session's CSRF token and answers with a
/// redirect (303) to the page it came from, with a notice of what happened.
extension Console {
    func addPages(to admin: RouterGroup<FileRequestContext>) {
        admin.get("") { request, _ in
            try await self.page(request) { s in
                try self.html(self.templates.render("overview", self.notice(request, try await self.overviewValues()), session: s))
            }
        }
        admin.get("events") { request, _ in
            try await self.read(request) { _ in
                guard let stream = self.live.subscribe() else {
                    throw FileError(.rateLimited, "too many live streams on this process; reload later")
                }
                return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                                body: ResponseBody(asyncSequence: stream))
            }
        }
        admin.get("jobs") { request, _ in
            try await self.page(request) { s in
                let values = try await self.jobsValues(FormData(request.uri.query ?? ""))
                return try self.html(self.templates.render("jobs", self.notice(request, values), session: s))
            }
        }
        admin.get("jobs/:id") { request, context in
            try await self.page(request) { s in
                let id = try Self.jobID(context)
                return try self.html(self.templates.render("job", self.notice(request, try await self.jobValues(id: id)), session: s))
            }
        }
        admin.post("jobs/bulk") { request, context in
            try await self.action(request, context) { s, form in
                let action = try Self.bulkAction(form["action"])
                let ids = try form.all("id").map { v -> Int64 in
                    guard let n = Int64(v), n > 0 else { throw FileError(.invalidRequest, "id must be a job id") }
                    return n
                }
                let result = try await self.bulkSelection(action, ids: ids, session: s)
                return Self.redirect("/admin/jobs?notice=" + Self.urlEncode(result.message))
            }
        }
        admin.post("jobs/bulk-filter") { request, context in
            try await self.action(request, context) { s, form in
                let action = try Self.bulkAction(form["action"])
                return try await self.confirmOrRun(action, form: form, session: s, postURL: "/admin/jobs/bulk-filter", label: "bulk",
                                                   heading: "\(action.rawValue) everything matching the search",
                                                   extra: [("action", action.rawValue)])
            }
        }
        admin.post("jobs/:id/:verb") { request, context in
            try await self.action(request, context) { s, form in
                let id = try Self.jobID(context)
                let verb = context.parameters.get("verb") ?? ""
                let result = try await self.jobAction(verb, id: id, args: verb == "requeue" ? form["args"] : nil, session: s)
                return Self.redirect("/admin/jobs/\(result.newJobID ?? id)?notice=" + Self.urlEncode(result.message))
            }
        }
        admin.get("dlq") { request, _ in
            try await self.page(request) { s in
                try self.html(self.templates.render("dlq", self.notice(request, try await self.dlqValues()), session: s))
            }
        }
        admin.post("dlq/replay") { request, context in
            try await self.action(request, context) { s, form in
                try await self.confirmOrRun(.replay, form: form, session: s, postURL: "/admin/dlq/replay", label: "dlq",
                                            heading: "Replay dead letters", extra: [])
            }
        }
        admin.post("queues/:name/:verb") { request, context in
            try await self.action(request, context) { s, form in
                let result = try await self.queueAction(context.parameters.get("verb") ?? "", queue: context.parameters.get("name") ?? "",
                                                        limit: form["limit"], session: s)
                return Self.redirect("/admin?notice=" + Self.urlEncode(result.message))
            }
        }
        admin.get("schedules") { request, _ in
            try await self.page(request) { s in
                try self.html(self.templates.render("schedules", self.notice(request, try await self.schedulesValues(ledgerOf: nil)), session: s))
            }
        }
        admin.get("schedules/:name") { request, context in
            try await self.page(request) { s in
                let values = try await self.schedulesValues(ledgerOf: context.parameters.get("name"))
                return try self.html(self.templates.render("schedules", self.notice(request, values), session: s))
            }
        }
        admin.post("schedules/:name/:verb") { request, context in
            try await self.action(request, context) { s, _ in
                let result = try await self.scheduleAction(context.parameters.get("verb") ?? "", name: context.parameters.get("name") ?? "", session: s)
                return Self.redirect("/admin/schedules?notice=" + Self.urlEncode(result.message))
            }
        }
        admin.get("audit") { request, _ in
            try await self.page(request) { s in
                try self.html(self.templates.render("audit", self.notice(request, try await self.auditValues()), session: s))
            }
        }
    }

    /// A bulk action over a filter: without `confirm`, the dry-run page (count, filter, a button to run);
    /// with it, the run starts and the audit page shows its progress.
    func confirmOrRun(_ action: JobClient.BulkAction, form: FormData, session: ConsoleSession, postURL: String, label: String,
                      heading: String, extra: [(String, String)]) async throws -> Response {
        if form["confirm"] == "1" {
            let result = try await bulkFilter(action, form: form, dryRun: false, session: session, label: label)
            return Self.redirect("/admin/audit?notice=" + Self.urlEncode(result.message))
        }
        let result = try await bulkFilter(action, form: form, dryRun: true, session: session, label: label)
        let fields = (Self.filterFields(form) + extra.map { (name: $0.0, value: $0.1) }).map { ["name": $0.name, "value": $0.value] }
        var back = "/admin/jobs?" + Self.filterFields(form).map { "\($0.name)=\(Self.urlEncode($0.value))" }.joined(separator: "&")
        if label == "dlq" { back = "/admin/dlq" }
        let values: [String: Any] = [
            "title": heading, "heading": heading, "matched": result.matched, "canRun": result.matched > 0, "action": action.rawValue,
            "capped": result.matched >= configuration.bulkMaximum, "cap": configuration.bulkMaximum, "filterJSON": Self.filterJSON(form),
            "postURL": postURL, "fields": fields, "batch": configuration.bulkBatchSize, "backURL": back,
        ]
        return try html(templates.render("confirm", values, session: session))
    }

    /// `values` with the `notice` of the query (what the last action did), when there is one.
    func notice(_ request: Request, _ values: [String: Any]) -> [String: Any] {
        var values = values
        if let n = request.uri.queryParameters.get("notice"), !n.isEmpty { values["notice"] = String(n.prefix(500)) }
        return values
    }

    static func jobID(_ context: FileRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw FileError(.invalidRequest, "a job id is a positive integer")
        }
        return id
    }

    static func bulkAction(_ name: String?) throws -> JobClient.BulkAction {
        guard let name, let action = JobClient.BulkAction(rawValue: name) else {
            throw FileError(.invalidRequest, "action must be one of \(JobClient.BulkAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return action
    }
}
