import Domain
import Foundation
import JobKit
import Scheduler
import Storage

/// What each page shows, as values that the page's template renders and the admin API sends as JSON: one
/// builder per page, so the two cannot disagree.
extension Console {
    /// The overview: every queue's depth by state, oldest available age, controls, and throughput over the last
    /// hour and week from the persisted rollups.
    func overviewValues(now: Date = Date()) async throws -> [String: Any] {
        async let queues = jobs.queueDepths()
        async let hour = repository.throughput(since: now.addingTimeInterval(-3600))
        async let week = repository.throughput(since: now.addingTimeInterval(-7 * 86400))
        let (q, h, w) = try await (queues, hour, week)
        let rows: [[String: Any]] = q.map { queue in
            var row = Self.queueRow(queue)
            let hq = h[queue.name], wq = w[queue.name]
            row["hourCompleted"] = hq?.completed ?? 0
            row["hourCancelled"] = hq?.cancelled ?? 0
            row["hourDiscarded"] = hq?.discarded ?? 0
            row["hourFailureRate"] = percent(hq?.failureRate ?? 0)
            row["weekCompleted"] = wq?.completed ?? 0
            row["weekDiscarded"] = wq?.discarded ?? 0
            row["weekFailureRate"] = percent(wq?.failureRate ?? 0)
            return row
        }
        return ["title": "Overview", "queues": rows, "generatedAt": isoTime(now)!]
    }

    /// The states the overview counts (``JobClient/queueDepths()``): waiting, running and dead letters.
    static let depthStates: [JobState] = [.available, .scheduled, .running, .retryable, .discarded]

    /// A queue's live row: counts by state, oldest available age, controls.
    static func queueRow(_ queue: JobClient.QueueSummary) -> [String: Any] {
        var row: [String: Any] = ["name": queue.name, "paused": queue.paused, "hasLimit": queue.globalLimit != nil,
                                  "limit": queue.globalLimit.map(String.init) ?? "",
                                  "oldest": ageText(queue.oldestAvailableAgeSeconds) ?? "–"]
        for state in Self.depthStates { row[state.rawValue] = queue.counts[state.rawValue] ?? 0 }
        return row
    }

    /// The search page: the filter, the newest matching jobs, a link to older ones.
    func jobsValues(_ form: FormData) async throws -> [String: Any] {
        let search = try Self.search(from: form)
        let before = try form["before"].map { v -> Int64 in
            guard let n = Int64(v), n > 0 else { throw FileError(.invalidRequest, "before must be a job id") }
            return n
        }
        let found = try await jobs.search(search, before: before, limit: configuration.pageSize + 1, timeout: configuration.searchTimeout)
        let page = Array(found.prefix(configuration.pageSize))
        let fields = Self.filterFields(form)
        var values: [String: Any] = [
            "title": "Jobs",
            "jobs": page.map { jobRow($0) },
            "filter": Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.value) }),
            "filterFields": fields.map { ["name": $0.name, "value": $0.value] },
            "stateOptions": JobState.allCases.map { ["name": $0.rawValue, "selected": search.states.first == $0] },
            "actions": JobClient.BulkAction.allCases.map(\.rawValue),
            "more": found.count > configuration.pageSize,
        ]
        if found.count > configuration.pageSize, let last = page.last {
            var query = fields.map { "\($0.name)=\(Self.urlEncode($0.value))" }
            query.append("before=\(last.id)")
            values["moreURL"] = "/admin/jobs?" + query.joined(separator: "&")
            values["nextBefore"] = last.id
        }
        return values
    }

    /// One line of the search results.
    func jobRow(_ job: JobRecord) -> [String: Any] {
        compact(["id": job.id, "state": job.state.rawValue, "queue": job.queue, "kind": job.kind, "attempt": job.attempt,
                 "maxAttempts": job.maxAttempts, "createdAt": isoTime(job.createdAt), "tenant": job.tenantID ?? "",
                 "tags": job.tags.joined(separator: ", "), "lastError": job.errors.last?.error ?? ""])
    }

    /// The job page: args (redacted by kind), every failed attempt, the timeline, the trace, the actions its
    /// state allows, and the operator actions audited on it.
    func jobValues(id: Int64) async throws -> [String: Any] {
        let job = try await jobs.job(id: id)
        let shown = redactor.redact(kind: job.kind, argsJSON: job.argsJSON)
        var timeline: [[String: Any]] = [["at": isoTime(job.createdAt)!, "what": "created"]]
        if job.scheduledAt > job.createdAt.addingTimeInterval(0.5) { timeline.append(["at": isoTime(job.scheduledAt)!, "what": "scheduled to run"]) }
        for e in job.errors { timeline.append(["at": isoTime(e.at)!, "what": "attempt \(e.attempt) failed: \(e.error)"]) }
        if let at = job.attemptedAt { timeline.append(["at": isoTime(at)!, "what": "attempt \(job.attempt) started on \(job.attemptedBy ?? "?")"]) }
        if let at = job.finalizedAt { timeline.append(["at": isoTime(at)!, "what": "finished: \(job.state.rawValue)"]) }
        timeline.sort { ($0["at"] as! String) < ($1["at"] as! String) }
        let actions = JobClient.BulkAction.allCases.filter { $0 != .replay && $0.allowedFrom.contains(job.state) }.map(\.rawValue)
        let audit = try await repository.auditLog(limit: 50, target: "job:\(id)")
        let values: [String: Any?] = [
            "id": job.id, "state": job.state.rawValue, "queue": job.queue, "kind": job.kind, "priority": job.priority,
            "attempt": job.attempt, "maxAttempts": job.maxAttempts, "tenant": job.tenantID, "tags": job.tags.joined(separator: ", "),
            "tagList": job.tags, "uniqueKey": job.uniqueKey, "traceContext": job.traceContext, "attemptedBy": job.attemptedBy,
            "createdAt": isoTime(job.createdAt), "scheduledAt": isoTime(job.scheduledAt), "attemptedAt": isoTime(job.attemptedAt),
            "finalizedAt": isoTime(job.finalizedAt), "args": shown, "argsPretty": jsonText(shown, pretty: true),
            "redacted": redactor.hidesSomething(kind: job.kind, argsJSON: job.argsJSON),
            "errors": job.errors.map { ["attempt": $0.attempt, "at": isoTime($0.at)!, "error": $0.error] as [String: Any] },
            "timeline": timeline, "actions": actions,
        ]
        return ["title": "Job \(id)", "job": compact(values), "audit": audit.map(Self.auditRow)]
    }

    /// The dead-letter queue by kind, queue and last error.
    func dlqValues() async throws -> [String: Any] {
        let groups = try await jobs.deadLetterGroups()
        return ["title": "Dead letters", "groups": groups.map { g -> [String: Any] in
            ["kind": g.kind, "queue": g.queue, "lastError": g.lastError, "count": g.count, "newest": isoTime(g.newest)!,
             "newestID": g.newestID,
             "jobsURL": "/admin/jobs?state=discarded&kind=\(Self.urlEncode(g.kind))&queue=\(Self.urlEncode(g.queue))"]
        }]
    }

    /// The scheduler's schedules, and the ledger of one when named.
    func schedulesValues(ledgerOf name: String?) async throws -> [String: Any] {
        let list = try await schedules.list()
        var values: [String: Any] = ["title": "Schedules", "schedules": list.map { s in
            compact(["name": s.name, "cron": s.cron, "timeZone": s.timeZone, "kind": s.kind, "queue": s.queue, "paused": s.paused,
                     "builtin": s.builtin, "nextFireAt": isoTime(s.nextFireAt), "lastFireAt": isoTime(s.lastFireAt),
                     "lastJobID": s.lastJobID, "lastJobState": s.lastJobState, "lastSuccessAt": isoTime(s.lastSuccessAt)])
        }]
        if let name {
            guard list.contains(where: { $0.name == name }) else { throw ScheduleLookupError(message: "no schedule named '\(name.prefix(128))'") }
            let entries = try await schedules.ledger(schedule: name, limit: 100)
            values["ledger"] = true
            values["ledgerName"] = name
            values["entries"] = entries.map { e in
                compact(["fireTime": isoTime(e.fireTime), "outcome": e.outcome, "reason": e.reason, "jobID": e.jobID])
            }
        }
        return values
    }

    /// The newest operator actions.
    func auditValues() async throws -> [String: Any] {
        ["title": "Audit", "entries": try await repository.auditLog(limit: 200).map(Self.auditRow)]
    }

    static func auditRow(_ e: ConsoleRepository.AuditEntry) -> [String: Any] {
        compact(["id": e.id, "at": isoTime(e.at), "actor": e.actor, "action": e.action, "target": e.target, "filter": e.filter,
                 "matched": e.matched, "done": e.done, "status": e.status, "detail": e.detail])
    }

    // MARK: Filters

    /// The search fields of a form or query, in a fixed order, empty ones left out.
    static let searchFields = ["state", "queue", "kind", "tag", "tenant", "id", "args", "error"]

    static func filterFields(_ form: FormData) -> [(name: String, value: String)] {
        searchFields.compactMap { name in form[name].map { (name, $0) } }
    }

    /// A ``JobClient/JobSearch`` from a form or query; `INVALID_REQUEST` naming a malformed field.
    static func search(from form: FormData) throws -> JobClient.JobSearch {
        var s = JobClient.JobSearch()
        if let state = form["state"] {
            guard let st = JobState(rawValue: state) else {
                throw FileError(.invalidRequest, "state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            s.states = [st]
        }
        s.queue = form["queue"]
        s.kind = form["kind"]
        s.tag = form["tag"]
        s.tenant = form["tenant"]
        s.lastError = form["error"]
        if let id = form["id"] {
            guard let n = Int64(id.trimmingCharacters(in: .whitespaces)), n > 0 else { throw FileError(.invalidRequest, "id must be a job id (a positive integer)") }
            s.id = n
        }
        s.argsContains = form["args"]
        do { return try s.validated() } catch let e as JobKitError { throw FileError(.invalidRequest, e.message) }
    }

    /// The search as JSON text, as the audit records it.
    static func filterJSON(_ form: FormData) -> String {
        jsonText(Dictionary(uniqueKeysWithValues: filterFields(form).map { ($0.name, $0.value) }))
    }

    static func urlEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}
