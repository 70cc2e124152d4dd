import API
import Console
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobKit
import Testing
import TestSupport

/// Search, job detail, single and bulk actions, the dead-letter queue, hostile input: through the pages' forms
/// and the admin API, against the real job table.
@Suite struct ConsoleJobsTests {
    @Test func searchFindsJobsByArgsTagTenantStateKindAndId() async throws {
        try await ConsoleHarness.with { h, client in
            let wanted = try await h.enqueue("scan", args: #"{"file_id": "med_42", "nested": {"n": 7}}"#, queue: "scan", tags: ["batch:9"], tenant: "acme")
            let other = try await h.enqueue("scan", args: #"{"file_id": "med_43", "nested": {"n": 8}}"#, queue: "scan", tenant: "globex")
            _ = try await h.enqueue("optimize", args: #"{"file_id": "med_42"}"#, queue: "optimize")
            try await h.env.client.discard(ids: [wanted])
            let auth: HTTPFields = [.authorization: "Bearer \(try await h.token([.jobsRead]))"]
            func ids(_ query: String) async throws -> [Int64] {
                let r = try await client.execute(uri: "/admin/api/jobs?" + query, method: .get, headers: auth)
                #expect(r.status == .ok, "\(query): \(String(buffer: r.body))")
                let jobs = try jsonObject(r)["jobs"] as? [[String: Any]] ?? []
                return jobs.compactMap { ($0["id"] as? NSNumber)?.int64Value }
            }
            let args = #"{"file_id":"med_42"}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(try await ids("args=\(args)").count == 2)
            #expect(try await ids("args=\(args)&kind=scan") == [wanted])
            let nested = #"{"nested":{"n":8}}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(try await ids("args=\(nested)") == [other])
            #expect(try await ids("tag=batch%3A9") == [wanted])
            #expect(try await ids("tenant=globex") == [other])
            #expect(try await ids("state=discarded") == [wanted])
            #expect(try await ids("id=\(other)") == [other])
            #expect(try await ids("queue=scan").sorted() == [wanted, other].sorted())
            // Newest first.
            #expect(try await ids("kind=scan") == [other, wanted])
            // The page shows the same.
            let browser = try await h.signIn(client, scopes: [.jobsRead])
            let page = try await client.execute(uri: "/admin/jobs?args=\(args)&kind=scan", method: .get, headers: browser.headers)
            #expect(String(buffer: page.body).contains("data-job=\"\(wanted)\"") && !String(buffer: page.body).contains("data-job=\"\(other)\""))
        }
    }

    @Test func hostileInputIsA4xxInTheEnvelopeNeverA5xx() async throws {
        try await ConsoleHarness.with { h, client in
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            let auth: HTTPFields = [.authorization: "Bearer \(try await h.token([.jobsAdmin]))", .contentType: "application/json"]
            let cases: [(String, HTTPRequest.Method, String?)] = [
                ("/admin/api/jobs?args=%7Bnot-json", .get, nil),
                ("/admin/api/jobs?args=%5B1%2C2%5D", .get, nil),
                ("/admin/api/jobs?state=exploded", .get, nil),
                ("/admin/api/jobs?id=-4", .get, nil),
                ("/admin/api/jobs?before=abc", .get, nil),
                ("/admin/api/jobs/abc", .get, nil),
                ("/admin/api/jobs/999999", .get, nil),
                ("/admin/api/jobs/999999/retry", .post, nil),
                ("/admin/api/jobs/1/explode", .post, nil),
                ("/admin/api/jobs/bulk", .post, "[1,2]"),
                ("/admin/api/jobs/bulk", .post, #"{"action": "nuke"}"#),
                ("/admin/api/jobs/bulk", .post, #"{"action": "retry", "ids": ["x"]}"#),
                ("/admin/api/queues/BAD%20NAME/pause", .post, nil),
                ("/admin/api/queues/mail/limit", .post, #"{"limit": "-3"}"#),
                ("/admin/api/schedules/nope/trigger", .post, nil),
                ("/admin/api/jobs?queue=" + String(repeating: "q", count: 2000), .get, nil),
            ]
            for (uri, method, body) in cases {
                let r = try await client.execute(uri: uri, method: method, headers: auth, body: body.map { ByteBuffer(string: $0) })
                #expect((400..<500).contains(Int(r.status.code)), "\(method) \(uri) → \(r.status)")
                #expect(errorCode(r)?.hasPrefix("MELMASTOON.FILE.") == true, "\(uri)")
            }
            let huge = try await client.execute(uri: "/admin/api/jobs/bulk", method: .post, headers: auth,
                                                body: ByteBuffer(string: String(repeating: " ", count: 300 * 1024)))
            #expect(huge.status == .contentTooLarge)
            let page = try await client.execute(uri: "/admin/jobs/0", method: .get, headers: browser.headers)
            #expect(page.status == .badRequest)
        }
    }

    @Test func retryCancelDiscardAndRequeueAsACopyWithEditedArgsKeepHistory() async throws {
        try await ConsoleHarness.with { h, client in
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            let id = try await h.enqueue("scan", args: #"{"file_id": "med_1"}"#, queue: "scan", tenant: "acme")
            func post(_ path: String, _ fields: [(String, String)] = []) async throws -> TestResponse {
                let (headers, body) = browser.form(fields)
                return try await client.execute(uri: path, method: .post, headers: headers, body: body)
            }
            #expect(try await post("/admin/jobs/\(id)/discard").status == .seeOther)
            #expect(try await h.state(id) == .discarded)
            // Discarding again is a wrong state: 409, nothing changes.
            let again = try await post("/admin/jobs/\(id)/discard")
            #expect(again.status == .conflict)
            #expect(try await post("/admin/jobs/\(id)/retry").status == .seeOther)
            #expect(try await h.state(id) == .available)
            #expect(try await post("/admin/jobs/\(id)/cancel").status == .seeOther)
            #expect(try await h.state(id) == .cancelled)
            let copy = try await post("/admin/jobs/\(id)/requeue", [("args", #"{"file_id": "med_2"}"#)])
            #expect(copy.status == .seeOther)
            let location = try #require(copy.headers[.location])
            let newID = try #require(Int64(location.dropFirst("/admin/jobs/".count).prefix { $0.isNumber }))
            #expect(newID != id)
            let original = try await h.env.client.job(id: id)
            let requeued = try await h.env.client.job(id: newID)
            #expect(original.state == .cancelled && original.argsJSON.contains("med_1"), "the original keeps its history")
            #expect(requeued.state == .available && requeued.argsJSON.contains("med_2") && requeued.tenantID == "acme" && requeued.kind == "scan")
            #expect(requeued.tags.contains("requeued_from:\(id)"))
            let badArgs = try await post("/admin/jobs/\(id)/requeue", [("args", "[oops")])
            #expect(badArgs.status == .badRequest)
            // Every action is audited on the job, and the job page shows it.
            let actions = try await h.env.scalar("SELECT string_agg(action, ',' ORDER BY id) FROM console.audit WHERE target = \("job:\(id)")", as: String.self)
            #expect(actions == "discard,retry,cancel,edit_requeue")
            let page = try await client.execute(uri: "/admin/jobs/\(id)", method: .get, headers: browser.headers)
            #expect(String(buffer: page.body).contains("edit_requeue"))
        }
    }

    @Test func argsThatCarryPersonalDataAreRedactedOnTheJobPageButStillSearchable() async throws {
        try await ConsoleHarness.with { h, client in
            let id = try await h.enqueue("mail.send", args: #"{"email": "ana@example.com", "profile": {"phone": "+4912345"}, "template": "welcome"}"#)
            let auth: HTTPFields = [.authorization: "Bearer \(try await h.token([.jobsRead]))"]
            let r = try await client.execute(uri: "/admin/api/jobs/\(id)", method: .get, headers: auth)
            let body = String(buffer: r.body)
            #expect(!body.contains("ana@example.com") && !body.contains("+4912345"))
            #expect(body.contains("welcome") && body.contains("[redacted]"))
            let q = #"{"email":"ana@example.com"}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let found = try await client.execute(uri: "/admin/api/jobs?args=\(q)", method: .get, headers: auth)
            #expect(String(buffer: found.body).contains("\"id\":\(id)"))
        }
    }

    @Test func bulkOnAFilterIsADryRunFirstThenRunsInBoundedBatchesAndIsAudited() async throws {
        try await ConsoleHarness.with { h, client in
            let inserts = (0..<350).map { i in JobInsert(kind: "scan", argsJSON: #"{"n": \#(i)}"#, queue: "scan") }
            _ = try await h.env.client.enqueueMany(inserts)
            let untouched = try await h.enqueue("optimize", queue: "optimize")
            try await h.env.postgres.query("UPDATE jobkit.jobs SET state = 'discarded', finalized_at = now() WHERE kind IN ('scan', 'optimize')")
            let auth: HTTPFields = [.authorization: "Bearer \(try await h.token([.jobsAdmin], subject: "script"))", .contentType: "application/json"]
            let dry = try await client.execute(uri: "/admin/api/jobs/bulk", method: .post, headers: auth,
                                               body: ByteBuffer(string: #"{"action": "retry", "filter": {"kind": "scan", "state": "discarded"}, "dry_run": true}"#))
            #expect(dry.status == .ok)
            #expect((try jsonObject(dry)["matched"] as? NSNumber)?.intValue == 350)
            #expect(try await h.env.count(.discarded) == 351, "a dry run changes nothing")
            try await h.withServices {
                let run = try await client.execute(uri: "/admin/api/jobs/bulk", method: .post, headers: auth,
                                                   body: ByteBuffer(string: #"{"action": "retry", "filter": {"kind": "scan", "state": "discarded"}, "dry_run": false}"#))
                #expect(run.status == .accepted)
                let auditID = try #require((try jsonObject(run)["audit_id"] as? NSNumber)?.int64Value)
                try await eventually("the bulk run finished") {
                    try await h.env.scalar("SELECT status FROM console.audit WHERE id = \(auditID)", as: String.self) == "done"
                }
                #expect(try await h.env.scalar("SELECT done FROM console.audit WHERE id = \(auditID)", as: Int32.self) == 350)
                #expect(try await h.env.scalar("SELECT actor FROM console.audit WHERE id = \(auditID)", as: String.self) == "script@ops")
            }
            #expect(try await h.env.count(.available, queue: "scan") == 350)
            #expect(try await h.state(untouched) == .discarded, "outside the filter")
        }
    }

    @Test func theDeadLetterQueueGroupsByKindAndErrorAndReplaysOneGroupAfterADryRun() async throws {
        try await ConsoleHarness.with { h, client in
            var timeouts: [Int64] = [], refused: [Int64] = []
            for i in 0..<4 { timeouts.append(try await h.enqueue("relay", args: #"{"i": \#(i)}"#, queue: "relay")) }
            for i in 0..<2 { refused.append(try await h.enqueue("relay", args: #"{"j": \#(i)}"#, queue: "relay")) }
            func fail(_ ids: [Int64], _ error: String) async throws {
                try await h.env.postgres.query("""
                    UPDATE jobkit.jobs SET state = 'discarded', finalized_at = now(), attempt = 3,
                      errors = jsonb_build_array(jsonb_build_object('at', now(), 'attempt', 3, 'error', \(error)::text))
                    WHERE id = ANY (\(ids)::int8[])
                    """)
            }
            try await fail(timeouts, "timeout after 30s")
            try await fail(refused, "connection refused")
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            let dlq = try await client.execute(uri: "/admin/api/dlq", method: .get, headers: browser.headers)
            let groups = try #require(try jsonObject(dlq)["groups"] as? [[String: Any]])
            #expect(groups.count == 2)
            #expect(groups.first?["lastError"] as? String == "timeout after 30s" && (groups.first?["count"] as? NSNumber)?.intValue == 4)
            try await h.withServices {
                let (headers, dryBody) = browser.form([("kind", "relay"), ("queue", "relay"), ("error", "timeout after 30s")])
                let dry = try await client.execute(uri: "/admin/dlq/replay", method: .post, headers: headers, body: dryBody)
                #expect(dry.status == .ok)
                #expect(String(buffer: dry.body).contains("<strong id=\"matched\">4</strong>"))
                #expect(try await h.env.count(.discarded) == 6)
                let (h2, runBody) = browser.form([("kind", "relay"), ("queue", "relay"), ("error", "timeout after 30s"), ("confirm", "1")])
                let run = try await client.execute(uri: "/admin/dlq/replay", method: .post, headers: h2, body: runBody)
                #expect(run.status == .seeOther)
                try await eventually("replayed") {
                    try await h.env.scalar("SELECT status FROM console.audit WHERE action = 'dlq_replay' ORDER BY id DESC LIMIT 1", as: String.self) == "done"
                }
                #expect(try await h.env.count(.available) == 4)
            }
            for id in timeouts { #expect(try await h.env.client.job(id: id).attempt == 0, "fresh attempts") }
            for id in refused { #expect(try await h.state(id) == .discarded) }
            let statuses = try await h.env.scalar("SELECT string_agg(status, ',' ORDER BY id) FROM console.audit WHERE action = 'dlq_replay'", as: String.self)
            #expect(statuses == "dry_run,done")
        }
    }

    @Test func aSelectionSkipsJobsInTheWrongState() async throws {
        try await ConsoleHarness.with { h, client in
            let a = try await h.enqueue(), b = try await h.enqueue()
            try await h.env.client.discard(ids: [a])
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            let (headers, body) = browser.form([("action", "replay"), ("id", "\(a)"), ("id", "\(b)")])
            let r = try await client.execute(uri: "/admin/jobs/bulk", method: .post, headers: headers, body: body)
            #expect(r.status == .seeOther)
            #expect(try await h.state(a) == .available)
            #expect(try await h.state(b) == .available)
            let detail = try await h.env.scalar("SELECT detail FROM console.audit WHERE action = 'bulk_replay'", as: String.self)
            #expect(detail == "1 skipped (state or locked)")
        }
    }
}

/// The bulk runner's bound on rate, and the job page's redaction.
@Suite struct ConsoleBulkRateTests {
    @Test func aBulkRunPausesBetweenBatchesAndChangesNoMoreThanABatchAtATime() async throws {
        try await ConsoleHarness.with({ $0.bulkBatchSize = 100; $0.bulkBatchPause = .milliseconds(150) }) { h, client in
            _ = try await h.env.client.enqueueMany((0..<350).map { _ in JobInsert(kind: "noop", queue: "bulk") })
            let auth: HTTPFields = [.authorization: "Bearer \(try await h.token([.jobsAdmin]))", .contentType: "application/json"]
            try await h.withServices {
                let began = ContinuousClock.now
                let run = try await client.execute(uri: "/admin/api/jobs/bulk", method: .post, headers: auth,
                                                   body: ByteBuffer(string: #"{"action": "discard", "filter": {"queue": "bulk"}, "dry_run": false}"#))
                let auditID = try #require((try jsonObject(run)["audit_id"] as? NSNumber)?.int64Value)
                var seen: Set<Int32> = []
                try await eventually("the run finished", timeout: .seconds(20)) {
                    if let done = try await h.env.scalar("SELECT done FROM console.audit WHERE id = \(auditID)", as: Int32.self) { seen.insert(done) }
                    return try await h.env.scalar("SELECT status FROM console.audit WHERE id = \(auditID)", as: String.self) == "done"
                }
                // Four batches (100, 100, 100, 50) with a pause after each of the first three.
                #expect(ContinuousClock.now - began >= .milliseconds(450))
                #expect(seen.allSatisfy { $0 % 100 == 0 || $0 == 350 }, "progress moves a batch at a time: \(seen.sorted())")
                #expect(seen.contains { $0 > 0 && $0 < 350 }, "progress was visible while it ran: \(seen.sorted())")
            }
            #expect(try await h.env.count(.discarded, queue: "bulk") == 350)
        }
    }

    @Test func theJobPageRedactsPersonalArgsAndOffersNoEditThatWouldLoseThem() async throws {
        try await ConsoleHarness.with { h, client in
            let personal = try await h.enqueue("mail.send", args: #"{"email": "ana@example.com", "template": "welcome"}"#)
            let plain = try await h.enqueue("scan", args: #"{"file_id": "med_1"}"#)
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            let page = String(buffer: try await client.execute(uri: "/admin/jobs/\(personal)", method: .get, headers: browser.headers).body)
            #expect(!page.contains("ana@example.com") && page.contains("[redacted]") && page.contains("welcome"))
            #expect(!page.contains("id=\"edit-args\""), "no edit form over redacted args")
            #expect(page.contains("id=\"action-requeue\""), "requeue as a copy (with the stored args) is still offered")
            let other = String(buffer: try await client.execute(uri: "/admin/jobs/\(plain)", method: .get, headers: browser.headers).body)
            #expect(other.contains("id=\"edit-args\"") && other.contains("med_1"))
        }
    }
}
