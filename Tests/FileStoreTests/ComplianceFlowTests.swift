import API
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobKit
import Jobs
import NIOCore
import PostgresNIO
import Scheduler
import Storage
import Synchronization
import TestSupport
import Testing

/// A blob store whose deletes fail while `failing` is set: the real local store behind it, the fault injected
/// at the boundary, as a full disk or an unreachable object store would fail.
struct FlakyBlobStore: BlobStore {
    let base: LocalBlobStore
    final class Switch: Sendable {
        let on: Mutex<Bool>
        init(_ on: Bool) { self.on = Mutex(on) }
        func withLock<T>(_ body: (inout Bool) -> T) -> T { on.withLock { body(&$0) } }
    }
    let failing: Switch

    struct Injected: Error, CustomStringConvertible { var description: String { "injected: the blob store is unreachable" } }
    func check() throws { if failing.withLock({ $0 }) { throw Injected() } }

    func put<S: AsyncSequence & Sendable>(_ key: ObjectKey, body: S, limit: Int64?) async throws -> BlobInfo where S.Element == ByteBuffer {
        try await base.put(key, body: body, limit: limit)
    }
    func size(of key: ObjectKey) async throws -> Int64? { try await base.size(of: key) }
    func read(_ key: ObjectKey, range: Range<Int64>?) async throws -> AsyncThrowingStream<ByteBuffer, any Error> { try await base.read(key, range: range) }
    func delete(_ key: ObjectKey) async throws { try check(); try await base.delete(key) }
    func deleteAll(prefix: String) async throws { try check(); try await base.deleteAll(prefix: prefix) }
    func list(prefix: String) -> AsyncThrowingStream<BlobListing, any Error> { base.list(prefix: prefix) }
    func withLocalFile<T: Sendable>(_ key: ObjectKey, _ body: (String) async throws -> T) async throws -> T { try await base.withLocalFile(key, body) }
    func scratchPath(suffix: String) -> String { base.scratchPath(suffix: suffix) }
    func importFile(_ path: String, as key: ObjectKey) async throws -> BlobInfo { try await base.importFile(path, as: key) }
    func putPart<S: AsyncSequence & Sendable>(tenant: TenantID, upload: PrefixedID, at offset: Int64, body: S, limit: Int64?,
                                              checksum: ChunkChecksum?) async throws -> Int64 where S.Element == ByteBuffer {
        try await base.putPart(tenant: tenant, upload: upload, at: offset, body: body, limit: limit, checksum: checksum)
    }
    func composeParts(tenant: TenantID, upload: PrefixedID, length: Int64, to key: ObjectKey) async throws -> BlobInfo {
        try await base.composeParts(tenant: tenant, upload: upload, length: length, to: key)
    }
    func deletePartial(tenant: TenantID, upload: PrefixedID) async throws { try check(); try await base.deletePartial(tenant: tenant, upload: upload) }
}

/// Compliance flows through the application layer and real workers: a failing store during erasure, requests that
/// arrive as consumed events, tenant offboarding, the retention sweep and its schedule, the audit chain against
/// tampering, and the API's refusals.
@Suite struct ComplianceFlowTests {
    static func keys() throws -> ComplianceKeys { try ComplianceKeys([("c1", ErasureProofTests.complianceSecret)]) }

    static func core(_ app: PostgresClient, blobs: any BlobStore) throws -> FileCore {
        var c = FileCoreConfiguration()
        c.compliance.keys = try keys()
        return FileCore(database: TenantDatabase(postgres: app, logger: TestDatabase.logger), blobs: blobs, configuration: c)
    }

    static func bytes(_ text: String) -> AsyncStream<ByteBuffer> {
        AsyncStream { $0.yield(ByteBuffer(string: text)); $0.finish() }
    }

    static let acme = try! TenantID("acme")
    static func person(_ subject: String, tenant: TenantID = acme) -> Identity { Identity(subject: subject, tenant: tenant, scopes: [.filesRead, .filesWrite]) }
    static let dpo = Identity(subject: "dpo", tenant: acme, scopes: [.complianceAdmin, .filesRead])

    static func withApp(_ body: (TestEnv, PostgresClient, URL) async throws -> Void) async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            try await TestDatabase.withClient(TestDatabase.appRole(env.config)) { app in
                let root = FileManager.default.temporaryDirectory.appendingPathComponent("compliance-\(UUID())")
                defer { try? FileManager.default.removeItem(at: root) }
                try await body(env, app, root)
            }
        }
    }

    @Test func aFailingStoreLeavesTheRequestRunningAndItCompletesAfterTheFixWithNoManualStep() async throws {
        try await Self.withApp { env, app, root in
            let store = FlakyBlobStore(base: try LocalBlobStore(root: root), failing: .init(true))
            let core = try Self.core(app, blobs: store)
            var files: [FileRecord] = []
            for i in 0..<4 { files.append(try await core.uploads.upload(Self.bytes("dana's file \(i)"), as: Self.person("dana"), .init(originalName: "dana-\(i).txt"))) }
            let (request, _) = try await core.erasure.request(.init(subjectID: "dana", reason: "Art. 17"), as: Self.dpo, requestID: nil)
            var registry = JobRegistry()
            registry.register(ErasureWorker(core: core, options: JobWorkerOptions(timeout: .seconds(30),
                                                                                  retryPolicy: RetryPolicy(base: .milliseconds(200), maximum: .milliseconds(500)))))
            try await env.withWorker(registry, TestEnv.fastWorker(queues: [.init("maintenance")])) { (_: JobWorkerService) async throws in
                try await eventually("attempts failing against the store", timeout: .seconds(30)) {
                    let r = try await core.erasure.get(request.id, as: Self.dpo)
                    return r.state == .running && r.attempts >= 2 && (r.lastError ?? "").contains("injected")
                }
                // Nothing is half-erased in a way that loses track: the files are still found, their bytes still there.
                for f in files { #expect(try await store.size(of: f.objectKey) != nil) }
                store.failing.withLock { $0 = false }   // the fix
                try await eventually("the same job completes after the fix", timeout: .seconds(30)) {
                    try await core.erasure.get(request.id, as: Self.dpo).state == .completed
                }
            }
            let done = try await core.erasure.get(request.id, as: Self.dpo)
            #expect(done.filesErased == 4 && done.lastError == nil && done.subjectID == nil)
            for f in files { #expect(try await store.size(of: f.objectKey) == nil) }
            // The receipt lists each file once even though attempts failed before.
            let receipt = try #require(try core.erasure.receipt(of: done))
            try receipt.verify()
            #expect(receipt.receipt.items.filter { $0.store == "postgres:files" }.count == 4)
            #expect(try await env.count(.discarded) == 0)
        }
    }

    @Test func consumedRequestsAndTenantOffboardingEraseOnceWithAReceipt() async throws {
        try await Self.withApp { env, app, root in
            let core = try Self.core(app, blobs: try LocalBlobStore(root: root))
            let globex = try TenantID("globex")
            let evan = try await core.uploads.upload(Self.bytes("evan"), as: Self.person("evan"), .init(originalName: "evan.txt"))
            let keep = try await core.uploads.upload(Self.bytes("frank"), as: Self.person("frank"), .init(originalName: "frank.txt"))
            var globexFiles: [FileRecord] = []
            for i in 0..<5 { globexFiles.append(try await core.uploads.upload(Self.bytes("g\(i)"), as: Self.person("gina", tenant: globex), .init(originalName: "g\(i).txt"))) }
            let held = try await core.uploads.upload(Self.bytes("held"), as: Self.person("gina", tenant: globex), .init(originalName: "held.txt"))
            _ = try await core.retention.legalHold(held.id, hold: true, reason: "audit 2026",
                                                   as: Identity(subject: "dpo", tenant: globex, scopes: [.complianceAdmin]), requestID: nil)
            // The inbox's jobs, as the inbox writes them (InboxTests covers the signed POST).
            let secret = WebhookSigner.newSecret()
            let inbox = Inbox(core: core, secrets: ["platform": [secret]])
            func deliver(_ type: String, _ data: String, id: String) async throws {
                let body = Array(#"{"type":"\#(type)","timestamp":"2026-12-02T10:00:00Z","data":\#(data)}"#.utf8)
                let ts = Int(Date().timeIntervalSince1970)
                let headers = Dictionary(uniqueKeysWithValues: WebhookSigner.headers(id: id, timestamp: ts, body: body, secrets: [secret]).map { ($0.0, $0.1) })
                _ = try await inbox.receive(source: "platform", id: headers["webhook-id"], timestamp: headers["webhook-timestamp"],
                                            signature: headers["webhook-signature"], body: body)
            }
            try await deliver("dsr.requested.v1", #"{"tenant_id":"acme","request_id":"crm-9","subject_id":"evan","kind":"erasure"}"#, id: "m1")
            try await deliver("dsr.requested.v1", #"{"tenant_id":"acme","request_id":"crm-9","subject_id":"evan","kind":"erasure"}"#, id: "m1-again")
            try await deliver("tenant.deleted.v1", #"{"tenant_id":"globex","deleted_at":"2026-12-02T10:00:00Z"}"#, id: "m2")
            var registry = JobRegistry()
            _ = registry.registerCompliance(core: core, system: nil, logger: TestDatabase.logger)
            try await env.withWorker(registry, TestEnv.fastWorker(queues: [.init("maintenance")])) { (_: JobWorkerService) async throws in
                try await eventually("both requests finished", timeout: .seconds(30)) {
                    let a = try await core.erasure.list(after: nil, limit: 10, as: Self.dpo)
                    let g = try await core.erasure.list(after: nil, limit: 10, as: Identity(subject: "dpo", tenant: globex, scopes: [.complianceAdmin]))
                    return a.count == 1 && a[0].state.isFinished && g.count == 1 && g[0].state.isFinished
                }
            }
            // One request for the subject although the event came twice (the reference is the event's request_id).
            let a = try await core.erasure.list(after: nil, limit: 10, as: Self.dpo)
            #expect(a.map(\.state) == [.completed] && a[0].reference == "crm-9" && a[0].source == "inbox:platform")
            #expect(try await core.files.get(evan.id, as: Self.person("x")).state == .erased)
            #expect(try await core.files.get(keep.id, as: Self.person("x")).state == .uploaded)
            // The tenant: everything erased but the held file, with a receipt naming it.
            let g = try await core.erasure.list(after: nil, limit: 10, as: Identity(subject: "dpo", tenant: globex, scopes: [.complianceAdmin]))
            #expect(g[0].scope == .tenant && g[0].state == .completedWithExceptions && g[0].filesErased == 5 && g[0].filesKept == 1)
            let receipt = try #require(try core.erasure.receipt(of: g[0]))
            try receipt.verify()
            #expect(receipt.receipt.exceptions.contains { $0.item == held.id.description })
            for f in globexFiles { #expect(try await core.blobs.size(of: f.objectKey) == nil) }
            #expect(try await core.blobs.size(of: held.objectKey) != nil)
            // Events announce each: dsr.completed.v1 per request.
            #expect(try await ComplianceGuardTests.count(env.postgres, "SELECT count(*) FROM outbox_events WHERE topic = 'dsr.completed.v1'") == 1)
        }
    }

    @Test func theRetentionSweepDeletesOrFlagsExpiredFilesAndRunsFromItsSchedule() async throws {
        try await Self.withApp { env, app, root in
            let core = try Self.core(app, blobs: try LocalBlobStore(root: root))
            _ = try await core.retention.define(RetentionClass(name: "short", durationMonths: 1), as: Self.dpo, requestID: nil)
            _ = try await core.retention.define(RetentionClass(name: "review_me", durationMonths: 1, action: .review), as: Self.dpo, requestID: nil)
            var expiredDelete: [FileRecord] = []
            for i in 0..<7 {
                expiredDelete.append(try await core.uploads.upload(Self.bytes("d\(i)"), as: Self.person("u"), .init(retentionClass: "short")))
            }
            let review = try await core.uploads.upload(Self.bytes("r"), as: Self.person("u"), .init(retentionClass: "review_me"))
            let held = try await core.uploads.upload(Self.bytes("h"), as: Self.person("u"), .init(retentionClass: "short"))
            _ = try await core.retention.legalHold(held.id, hold: true, reason: "dispute", as: Self.dpo, requestID: nil)
            let live = try await core.uploads.upload(Self.bytes("l"), as: Self.person("u"), .init(retentionClass: "tax_invoice"))
            // A month and a day later — as the test cannot wait, the owner moves those dates back with the guard
            // disabled for the statement (ALTER TABLE is DDL, which the service role cannot run).
            try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("ALTER TABLE files DISABLE TRIGGER files_retention_guard", logger: TestDatabase.logger)
                try await tx.query("UPDATE files SET retain_until = now() - interval '1 day' WHERE retention_class IN ('short', 'review_me')", logger: TestDatabase.logger)
                try await tx.query("ALTER TABLE files ENABLE TRIGGER files_retention_guard", logger: TestDatabase.logger)
            }
            try await TestDatabase.withClient(TestDatabase.systemRole(env.config)) { systemPostgres in
                let system = SystemDatabase(postgres: systemPostgres, logger: TestDatabase.logger)
                #expect(try await system.tenantsWithExpiredRetention(limit: 10).map(\.value) == ["acme"])
                var registry = JobRegistry()
                registry.register(RetentionSweepWorker(core: core, system: system, configuration: SweepConfiguration(batchSize: 3)))
                // The product's built-in schedule, declared as the scheduler leader does, run now (an operator's trigger).
                let schedules = ScheduleStore(postgres: env.postgres, logger: TestDatabase.logger)
                try await schedules.declareBuiltins(BuiltInSchedules.all)
                let declared = try #require(try await schedules.schedule(named: "retention-sweep"))
                #expect(declared.builtin && declared.kind == SweepRetention.kind && declared.queue == "maintenance")
                let job = try await schedules.trigger(name: "retention-sweep")
                try await env.withWorker(registry, TestEnv.fastWorker(queues: [.init("maintenance")])) { (_: JobWorkerService) async throws in
                    try await eventually("the sweep ran", timeout: .seconds(30)) { try await env.client.job(id: job).state == .completed }
                }
                // The run shows in the scheduler's ledger with its job's state.
                let ledger = try await schedules.ledger(schedule: "retention-sweep")
                #expect(ledger.map(\.jobID) == [job] && ledger.first?.jobState == "completed")
            }
            for f in expiredDelete { #expect(try await core.files.get(f.id, as: Self.person("x")).state == .deleted) }
            let flagged = try await core.files.get(review.id, as: Self.person("x"))
            #expect(flagged.state == .uploaded && flagged.retention.reviewSince != nil)
            #expect(try await core.files.get(held.id, as: Self.person("x")).state == .uploaded)
            #expect(try await core.files.get(live.id, as: Self.person("x")).state == .uploaded)
            // Their purge was queued, one per deleted file.
            #expect(try await env.client.list(.init(kind: "file.purge")).count == 7)
        }
    }

    @Test func theAuditChainFindsAChangedRowAndAnExportVerifiesOnItsOwn() async throws {
        try await Self.withApp { env, app, root in
            let core = try Self.core(app, blobs: try LocalBlobStore(root: root))
            for i in 0..<30 { _ = try await core.uploads.upload(Self.bytes("a\(i)"), as: Self.person("auditor-\(i % 3)"), .init()) }
            #expect(try await core.audit.seal(tenant: Self.acme, limit: 20) == 20)
            try await core.audit.sealAll(tenant: Self.acme)
            var v = try await core.audit.verify(tenant: Self.acme)
            #expect(v.chain.ok && v.chain.rows == 30 && v.unsealed == 0)
            // Another tenant's chain is its own.
            let globex = try TenantID("globex")
            _ = try await core.uploads.upload(Self.bytes("g"), as: Self.person("g", tenant: globex), .init())
            try await core.audit.sealAll(tenant: globex)
            #expect(try await core.audit.verify(tenant: globex).chain.rows == 1)
            // An export from row 10 on verifies on its own; a changed line is found.
            var lines: [AuditChainRow] = []
            _ = try await core.audit.export(tenant: Self.acme, since: nil) { lines.append($0) }
            var walker = AuditChain.Walker(tenant: "acme", start: nil)
            for row in lines.dropFirst(10) { _ = walker.check(row) }
            #expect(walker.report.ok && walker.report.rows == 20)
            var tampered = Array(lines.dropFirst(10))
            tampered[5].details = #"{"size": "1"}"#
            walker = AuditChain.Walker(tenant: "acme", start: nil)
            for row in tampered where !walker.check(row) { break }
            #expect(walker.report.brokenAt == tampered[5].id)
            // In the database: an owner who disables the guard and changes a row is found, as is a deleted row.
            let victim = lines[12].id
            try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard", logger: TestDatabase.logger)
                try await tx.query("UPDATE audit_events SET details = '{\"size\": \"999\"}' WHERE id = \(victim)", logger: TestDatabase.logger)
                try await tx.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_guard", logger: TestDatabase.logger)
            }
            v = try await core.audit.verify(tenant: Self.acme)
            #expect(v.chain.brokenAt == victim && (v.chain.problem ?? "").contains("changed"))
            // An actor changed under the guard's back is found with the key (its digest no longer matches).
            try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await tx.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_guard", logger: TestDatabase.logger)
                try await tx.query("UPDATE audit_events SET details = \(lines[12].details)::jsonb WHERE id = \(victim)", logger: TestDatabase.logger)
                try await tx.query("UPDATE audit_events SET actor = 'mallory' WHERE id = \(lines[3].id)", logger: TestDatabase.logger)
                try await tx.query("ALTER TABLE audit_events ENABLE TRIGGER audit_events_guard", logger: TestDatabase.logger)
            }
            v = try await core.audit.verify(tenant: Self.acme)
            #expect(v.chain.brokenAt == lines[3].id && (v.chain.problem ?? "").contains("actor"))
        }
    }

    @Test func theAPIRefusesBadComplianceInputWithTheEnvelopeAndNeedsTheKeyForErasure() async throws {
        // Without the key, erasure requests are refused with 503 COMPLIANCE_NOT_CONFIGURED; the keys endpoint too.
        try await APIHarness.with { h, client in
            let dpo = try await ErasureProofTests.token(h, "dpo", [.complianceAdmin])
            try await client.execute(uri: "/v1/erasure-requests", method: .post, headers: h.headers(dpo, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: #"{"subject_id": "x", "reason": "r"}"#)) { (response: TestResponse) throws in
                #expect(response.status == .serviceUnavailable && errorCode(response) == "MELMASTOON.FILE.COMPLIANCE_NOT_CONFIGURED")
            }
        }
        try await APIHarness.with(configuration: try ErasureProofTests.configuration()) { h, client in
            let dpo = try await ErasureProofTests.token(h, "dpo", [.complianceAdmin, .filesRead, .filesWrite])
            let user = try await ErasureProofTests.token(h, "user", [.filesRead, .filesWrite])
            let json: [HTTPField.Name: String] = [.contentType: "application/json"]
            for (uri, method, body, token, status, code) in [
                ("/v1/erasure-requests", HTTPRequest.Method.post, #"{"reason": "r"}"#, dpo, HTTPResponse.Status.badRequest, "INVALID_REQUEST"),
                ("/v1/erasure-requests", .post, #"{"subject_id": "", "reason": "r"}"#, dpo, .badRequest, "INVALID_REQUEST"),
                ("/v1/erasure-requests", .post, #"{"subject_id": "a\u0000b", "reason": "r"}"#, dpo, .badRequest, "INVALID_REQUEST"),
                ("/v1/erasure-requests", .post, #"{"subject_id": "a", "reason": "r"}"#, user, .forbidden, "FORBIDDEN"),
                ("/v1/erasure-requests", .post, "not json", dpo, .badRequest, "INVALID_REQUEST"),
                ("/v1/erasure-requests/dsr_nope", .get, "", dpo, .badRequest, "INVALID_ID"),
                ("/v1/erasure-requests/\(PrefixedID(.erasure))", .get, "", dpo, .notFound, "NOT_FOUND"),
                ("/v1/retention-classes/Bad-Name", .put, #"{"duration_months": 12}"#, dpo, .badRequest, "INVALID_REQUEST"),
                ("/v1/retention-classes/ok", .put, #"{"duration_months": 0}"#, dpo, .badRequest, "INVALID_REQUEST"),
                ("/v1/retention-classes/ok", .put, #"{"clock": "moon"}"#, dpo, .badRequest, "INVALID_REQUEST"),
                ("/v1/retention-classes/ok", .put, #"{"duration_months": 12}"#, user, .forbidden, "FORBIDDEN"),
            ] {
                try await client.execute(uri: uri, method: method, headers: h.headers(token, json), body: ByteBuffer(string: body)) { (response: TestResponse) throws in
                    #expect(response.status == status, "\(method) \(uri) \(body)")
                    #expect(errorCode(response) == "MELMASTOON.FILE.\(code)", "\(method) \(uri) \(body)")
                }
            }
            // Uploads: an unknown retention class, a malformed one, a subject id over 256 bytes, too many subjects.
            for (name, value) in [("Upload-Retention-Class", "no_such_class"), ("Upload-Retention-Class", "Bad Name"),
                                  ("Upload-Subjects", "a," + String(repeating: "b", count: 257)), ("Upload-Subjects", (0..<40).map { "s\($0)" }.joined(separator: ","))] {
                try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(user, [HTTPField.Name(name)!: value]),
                                         body: ByteBuffer(string: "x")) { (response: TestResponse) throws in
                    #expect(response.status == .badRequest, "\(name): \(value)")
                }
            }
            #expect(try await h.count("files") == 0)
            // A file: retention only moves later, legal hold blocks delete, subjects are replaced and listed.
            let file = try await ErasureProofTests.upload(client, h, user, Array("invoice".utf8), name: "inv.pdf",
                                                          [HTTPField.Name("Upload-Subjects")!: "customer-1"])
            try await client.execute(uri: "/v1/files/\(file)/retention", method: .put, headers: h.headers(dpo, json),
                                     body: ByteBuffer(string: #"{"class": "tax_invoice"}"#)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(try decode(FileResource.self, response).retention.class == "tax_invoice")
            }
            for cls in ["standard", "audit_log"] {
                try await client.execute(uri: "/v1/files/\(file)/retention", method: .put, headers: h.headers(dpo, json),
                                         body: ByteBuffer(string: #"{"class": "\#(cls)"}"#)) { (response: TestResponse) throws in
                    #expect(response.status == .conflict && errorCode(response) == "MELMASTOON.FILE.RETAINED", "\(cls)")
                }
            }
            try await client.execute(uri: "/v1/files/\(file)", method: .delete, headers: h.headers(user)) { (response: TestResponse) throws in
                #expect(response.status == .conflict && errorCode(response) == "MELMASTOON.FILE.RETAINED")
            }
            try await client.execute(uri: "/v1/files/\(file)/legal-hold", method: .delete, headers: h.headers(dpo, json),
                                     body: ByteBuffer(string: #"{"reason": "none"}"#)) { (response: TestResponse) throws in
                #expect(response.status == .conflict && errorCode(response) == "MELMASTOON.FILE.ILLEGAL_TRANSITION")
            }
            try await client.execute(uri: "/v1/files/\(file)/subjects", method: .patch, headers: h.headers(dpo, json),
                                     body: ByteBuffer(string: #"{"subjects": ["customer-2", "customer-3"]}"#)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                let s = try decode(SubjectList.self, response).subjects
                #expect(Set(s.map(\.id)) == ["user", "customer-2", "customer-3"] && s.first?.role == "uploader")
            }
            try await client.execute(uri: "/v1/files/\(file)/subjects", method: .get, headers: h.headers(user)) { (response: TestResponse) throws in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/retention-classes", method: .get, headers: h.headers(user)) { (response: TestResponse) throws in
                #expect(try decode(RetentionClassList.self, response).retention_classes.map(\.name) == ["audit_log", "standard", "tax_invoice"])
            }
        }
    }
}
