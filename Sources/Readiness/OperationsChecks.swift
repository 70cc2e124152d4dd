import Foundation
import Storage

/// The operational rows: figures of the live deployment within their thresholds (``ReadinessConfiguration``).
enum OperationsChecks {
    /// E1: the relay runs (its queue is not paused) and the oldest undelivered event is younger than `relayMaxLag`.
    static func relay(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let c = env.configuration
        var outcomes: [CheckOutcome] = []
        let paused = try await env.catalog.pausedQueues()
        outcomes.append(paused.contains(c.relayQueue)
            ? .fail("query: SELECT name FROM jobkit.queues WHERE paused → \(paused.joined(separator: ", ")): the relay's queue '\(c.relayQueue)' is paused, no event is delivered (`filestore queues resume \(c.relayQueue)`)")
            : .pass("query: SELECT name FROM jobkit.queues WHERE paused → \(paused.isEmpty ? "none" : paused.joined(separator: ", ")); '\(c.relayQueue)' runs"))
        guard let system = env.system else {
            outcomes.append(.fail("no system-role connection (filestore_system): the relay lag across tenants cannot be read"))
            return .combined(outcomes)
        }
        let s = try await system.webhookStats()
        let figures = "query: SELECT * FROM filestore_system.webhook_stats() → oldest undelivered \(Int(s.oldestUndeliveredAge)) s, pending \(s.pending), dead \(s.dead), disabled endpoints \(s.disabledEndpoints)"
        outcomes.append(s.oldestUndeliveredAge > c.relayMaxLag
            ? .fail(figures, "relay lag \(Int(s.oldestUndeliveredAge)) s > \(Int(c.relayMaxLag)) s (runbooks/webhooks.md)")
            : .pass(figures + " (threshold \(Int(c.relayMaxLag)) s)"))
        return .combined(outcomes)
    }

    /// F4 (figures): no queue's dead-letter queue is larger than `deadLetterMaxJobs` or holds a job older than
    /// `deadLetterMaxAge` (nobody triaged it).
    static func deadLetters(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let c = env.configuration
        let dlq = try await env.catalog.deadLetters()
        var evidence = ["query: \(ReadinessCatalog.deadLettersSQL.split(separator: "\n").joined(separator: " ")) → \(dlq.isEmpty ? "no dead letters" : dlq.map { "\($0.queue): \($0.count), oldest \(Int($0.oldestAge)) s" }.joined(separator: "; "))"]
        var bad = false
        for q in dlq {
            if q.count > c.deadLetterMaxJobs { bad = true; evidence.append("\(q.queue): \(q.count) dead letters > \(c.deadLetterMaxJobs) (runbooks/dead-letter-queue.md)") }
            if q.oldestAge > c.deadLetterMaxAge { bad = true; evidence.append("\(q.queue): a dead letter untriaged for \(Int(q.oldestAge / 86_400)) days > \(Int(c.deadLetterMaxAge / 86_400))") }
        }
        return CheckOutcome(bad ? .fail : .pass, evidence)
    }

    /// §17: the scheduler has a live leader, no schedule is late (last success older than twice its period, once it
    /// had the chance), and the revalidation's own schedule is present, not paused, and its queue runs.
    static func scheduler(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let c = env.configuration
        var evidence: [String] = [], bad = false
        let leaders = try await env.catalog.leaderships()
        if let s = leaders.first(where: { $0.name == "scheduler" }), s.expiresIn > 0 {
            evidence.append("query: SELECT * FROM jobkit.leaders → scheduler led by \(s.leaderID), lease for \(Int(s.expiresIn)) s more")
        } else {
            bad = true
            evidence.append("query: SELECT * FROM jobkit.leaders → no live scheduler leader (\(leaders.map { "\($0.name): \(Int($0.expiresIn)) s" }.joined(separator: ", "))): no schedule fires (runbooks/scheduler.md)")
        }
        let schedules = try await env.catalog.schedules()
        evidence.append("query: SELECT … FROM scheduler.schedules → \(schedules.count) schedules")
        for s in schedules where !s.paused {
            guard let period = s.periodSeconds else { continue }
            // Late: the last success (or, never run, the creation) is more than two periods ago (a quarterly
            // schedule created yesterday is not late).
            let since = s.sinceLastSuccess ?? s.age
            if since > 2 * period {
                bad = true
                evidence.append("\(s.name): last success \(Int(since)) s ago > twice its period (\(Int(period)) s)")
            }
            if let next = s.nextFireIn, next < -max(60, period) {
                bad = true
                evidence.append("\(s.name): next fire time \(Int(-next)) s overdue")
            }
        }
        if let own = schedules.first(where: { $0.name == c.scheduleName }) {
            if own.paused { bad = true; evidence.append("\(c.scheduleName) is paused: the quarterly revalidation does not run (`filestore schedules resume \(c.scheduleName)`)") }
            else { evidence.append("\(c.scheduleName) (\(own.kind)): next in \(Int((own.nextFireIn ?? 0) / 86_400)) days") }
        } else {
            bad = true
            evidence.append("no schedule \(c.scheduleName): the revalidation is not scheduled (a scheduler leader declares it at start)")
        }
        let paused = try await env.catalog.pausedQueues()
        if paused.contains(c.readinessQueue) { bad = true; evidence.append("queue \(c.readinessQueue) (the revalidation's) is paused") }
        return CheckOutcome(bad ? .fail : .pass, evidence)
    }

    /// S5 (scanner): libclamav's signature folder holds signatures updated within `signatureMaxAge`.
    static func signatures(_ env: ReadinessEnvironment) throws -> CheckOutcome {
        switch env.configuration.scanner {
        case .clamd(let socket):
            return .notApplicable("scanner clamd (\(socket)): clamd and its freshclam keep the signatures; their age is clamd's to report")
        case .libclamav(let directory):
            let url = URL(fileURLWithPath: directory)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let databases = names.filter { n in ["cvd", "cld", "cud", "hdb", "hsb", "ndb", "ldb", "ndu", "ldu", "yar", "yara", "cdb", "ign2", "fp", "sfp", "pdb", "wdb", "ftm", "cbc", "idb", "crb", "mdb", "msb", "imp", "info", "cfg"].contains((n as NSString).pathExtension) }
            guard !databases.isEmpty else {
                return .fail("signature folder \(directory) (FILESTORE_CLAMAV_DB): no signature databases — files wait unscanned (runbooks/scan-failures.md)")
            }
            var newest: (String, Date)?
            for name in databases {
                let attributes = try? FileManager.default.attributesOfItem(atPath: url.appendingPathComponent(name).path)
                if let date = attributes?[.modificationDate] as? Date, date > (newest?.1 ?? .distantPast) { newest = (name, date) }
            }
            let age = Date().timeIntervalSince(newest?.1 ?? .distantPast)
            let line = "signature folder \(directory): \(databases.count) databases, newest \(newest?.0 ?? "?") modified \(Int(age / 3600)) h ago (limit \(Int(env.configuration.signatureMaxAge / 3600)) h)"
            return age <= env.configuration.signatureMaxAge ? .pass(line)
                : .fail(line, "signatures are stale: is freshclam running? (runbooks/scan-failures.md)")
        }
    }

    /// S4: each signing key list is younger than the rotation period (dated by its file's modification time).
    static func signingKeys(_ env: ReadinessEnvironment) throws -> CheckOutcome {
        let c = env.configuration
        guard !c.signingKeys.isEmpty else { return .notApplicable("no signing keys configured in this process (FILESTORE_JWT_KEYS, FILESTORE_URL_KEYS)") }
        var outcomes: [CheckOutcome] = []
        for list in c.signingKeys {
            guard let file = list.file else {
                outcomes.append(.notApplicable("\(list.name): \(list.count) keys given inline carry no date; set \(list.name)_FILE so its modification time dates the last rotation"))
                continue
            }
            guard let date = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date else {
                outcomes.append(.fail("\(list.name)_FILE \(file): unreadable"))
                continue
            }
            let age = Date().timeIntervalSince(date)
            let line = "\(list.name)_FILE \(file): \(list.count) keys, last rotated \(Int(age / 86_400)) days ago (period \(Int(c.keyRotationPeriod / 86_400)) days)"
            outcomes.append(age <= c.keyRotationPeriod ? .pass(line) : .fail(line, "rotate: prepend a new key to \(file) (the first signs, all verify)"))
        }
        return .combined(outcomes)
    }
}
