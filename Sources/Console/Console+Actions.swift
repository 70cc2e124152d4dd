import Domain
import Foundation
import JobKit
import Scheduler
import Storage

/// Operator actions, each audited (who, what, which target or filter, how many jobs): the pages' forms and the
/// admin API both call these.
extension Console {
    /// What an action did, for the page's notice and the API's answer.
    struct ActionResult: Sendable {
        var message: String
        var matched: Int
        var changed: [Int64]
        var auditID: Int64
        var newJobID: Int64?
        var values: [String: Any] {
            compact(["message": message, "matched": matched, "changed": changed.count, "changed_ids": changed.count <= 1000 ? changed : nil,
                     "audit_id": auditID, "new_job_id": newJobID])
        }
    }

    /// Retry, cancel or discard one job (the single-job semantics: a wrong state is a 409), or requeue it as a
    /// copy, with `args` instead of its own when given.
    func jobAction(_ verb: String, id: Int64, args: String?, session: ConsoleSession) async throws -> ActionResult {
        var changed: [Int64] = []
        var newID: Int64?
        switch verb {
        case "retry": changed = try await jobs.retry(ids: [id])
        case "cancel": changed = try await jobs.cancel(ids: [id])
        case "discard": changed = try await jobs.discard(ids: [id])
        case "requeue":
            if let args, args.utf8.count > 64 * 1024 { throw FileError(.invalidRequest, "args must be at most 64 KiB") }
            newID = try await jobs.requeueCopy(id: id, args: args)
            changed = [newID!]
        default: throw FileError(.notFound, "no job action '\(verb.prefix(32))'; actions are retry, cancel, discard, requeue")
        }
        let detail = newID.map { "new job \($0)" + (args == nil ? "" : " with edited args") }
        let audit = try await repository.audit(actor: session.actor, action: args == nil ? verb : "edit_requeue", target: "job:\(id)",
                                               filter: nil, matched: 1, done: changed.count, status: "done", detail: detail)
        let message = newID.map { "requeued job \(id) as job \($0)" } ?? "\(verb): job \(id)"
        return ActionResult(message: message, matched: 1, changed: changed, auditID: audit, newJobID: newID)
    }

    /// A bulk action on a selection of ids: jobs in a state the action does not allow, or locked by a worker
    /// right now, are skipped (and counted as such).
    func bulkSelection(_ action: JobClient.BulkAction, ids: [Int64], session: ConsoleSession) async throws -> ActionResult {
        guard !ids.isEmpty else { throw FileError(.invalidRequest, "select at least one job") }
        guard ids.count <= 1000 else { throw FileError(.invalidRequest, "select at most 1000 jobs; act on a filter for more") }
        let changed = try await jobs.apply(action, ids: ids)
        let audit = try await repository.audit(actor: session.actor, action: "bulk_\(action.rawValue)", target: "selection",
                                               filter: jsonText(["ids": ids]), matched: ids.count, done: changed.count, status: "done",
                                               detail: ids.count == changed.count ? nil : "\(ids.count - changed.count) skipped (state or locked)")
        return ActionResult(message: "\(action.rawValue): \(changed.count) of \(ids.count) selected job(s)", matched: ids.count,
                            changed: changed, auditID: audit)
    }

    /// A bulk action on everything a search matches: with `dryRun`, only counted (and audited as a dry run);
    /// otherwise started in the background in batches at a bounded rate (``BulkRunner``), its progress kept in
    /// its audit entry.
    func bulkFilter(_ action: JobClient.BulkAction, form: FormData, dryRun: Bool, session: ConsoleSession, label: String = "bulk") async throws -> ActionResult {
        var search = try Self.search(from: form)
        if action == .replay { search.states = [.discarded] }
        let cap = configuration.bulkMaximum
        let matched = try await jobs.count(search, for: action, cap: cap, timeout: .seconds(10))
        let filter = Self.filterJSON(form)
        if dryRun {
            let audit = try await repository.audit(actor: session.actor, action: "\(label)_\(action.rawValue)", target: "filter", filter: filter,
                                                   matched: matched, done: 0, status: "dry_run")
            return ActionResult(message: "dry run: \(matched) job(s) match", matched: matched, changed: [], auditID: audit)
        }
        let audit = try await repository.audit(actor: session.actor, action: "\(label)_\(action.rawValue)", target: "filter", filter: filter,
                                               matched: matched, done: 0, status: "running")
        bulk.start(BulkRunner.Run(auditID: audit, action: action, search: search, limit: min(matched, cap)))
        return ActionResult(message: "\(action.rawValue) started on \(matched) job(s) in batches of \(configuration.bulkBatchSize); see audit #\(audit)",
                            matched: matched, changed: [], auditID: audit)
    }

    /// Pause, resume or set the global limit of a queue (`limit` empty: no limit).
    func queueAction(_ verb: String, queue: String, limit: String?, session: ConsoleSession) async throws -> ActionResult {
        guard QueueNames.valid(queue) else { throw FileError(.invalidRequest, "invalid queue name") }
        var detail: String?
        switch verb {
        case "pause": try await jobs.setPaused(true, queue: queue)
        case "resume": try await jobs.setPaused(false, queue: queue)
        case "limit":
            let value = try limit.map { text -> Int in
                guard let n = Int(text.trimmingCharacters(in: .whitespaces)), (0...100_000).contains(n) else {
                    throw FileError(.invalidRequest, "limit must be a whole number 0...100000, or empty for none")
                }
                return n
            }
            try await jobs.setGlobalLimit(value, queue: queue)
            detail = value.map { "limit \($0)" } ?? "no limit"
        default: throw FileError(.notFound, "no queue action '\(verb.prefix(32))'; actions are pause, resume, limit")
        }
        let audit = try await repository.audit(actor: session.actor, action: "queue_\(verb)", target: "queue:\(queue)", filter: nil,
                                               matched: 0, done: 0, status: "done", detail: detail)
        return ActionResult(message: "\(verb): queue \(queue)" + (detail.map { " (\($0))" } ?? ""), matched: 0, changed: [], auditID: audit)
    }

    /// Pause, resume or trigger now a schedule.
    func scheduleAction(_ verb: String, name: String, session: ConsoleSession) async throws -> ActionResult {
        guard name.utf8.count <= 128, try await schedules.schedule(named: name) != nil else {
            throw FileError(.notFound, "no schedule named '\(name.prefix(128))'")
        }
        var newID: Int64?
        switch verb {
        case "pause": try await schedules.setPaused(true, name: name)
        case "resume": try await schedules.setPaused(false, name: name)
        case "trigger": newID = try await schedules.trigger(name: name)
        default: throw FileError(.notFound, "no schedule action '\(verb.prefix(32))'; actions are pause, resume, trigger")
        }
        let audit = try await repository.audit(actor: session.actor, action: "schedule_\(verb)", target: "schedule:\(name)", filter: nil,
                                               matched: 0, done: newID == nil ? 0 : 1, status: "done", detail: newID.map { "job \($0)" })
        return ActionResult(message: "\(verb): schedule \(name)" + (newID.map { " → job \($0)" } ?? ""), matched: 0,
                            changed: newID.map { [$0] } ?? [], auditID: audit, newJobID: newID)
    }
}

/// Queue names as JobKit accepts them (checked here too, so a bad name is a 400 before any SQL).
enum QueueNames {
    static func valid(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.unicodeScalars.first else { return false }
        func ok(_ c: Unicode.Scalar, _ extra: String) -> Bool {
            ("a"..."z").contains(c) || ("0"..."9").contains(c) || extra.unicodeScalars.contains(c)
        }
        return ok(first, "") && name.unicodeScalars.allSatisfy { ok($0, "_.-") }
    }
}
