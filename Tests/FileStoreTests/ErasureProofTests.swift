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
import Scanning
import Storage
import TestSupport
import Testing

/// Erasure's proof, through the HTTP API and real workers: a subject with files in every state, variants, a
/// finished and an unfinished tus upload, a job in the dead-letter queue, undelivered events and a stored
/// idempotent response; after the erasure a dump of the whole database and a walk of the blob store find none of
/// the subject's names, bytes or ids outside what was kept on a legal basis, the receipt verifies offline with the
/// published key (and fails once altered), the held file and the retained invoice are kept and listed, and the
/// audit chain still verifies with the subject's actor rows redacted.
@Suite struct ErasureProofTests {
    static let complianceSecret = String(repeating: "c", count: 40)
    static let alice = "alice.private@example.com"

    static func configuration() throws -> APIConfiguration {
        var c = APIConfiguration()
        c.core.compliance.keys = try ComplianceKeys([("c1", complianceSecret)])
        c.core.compliance.erasureBatchSize = 3   // several batches for a handful of files
        return c
    }

    static func token(_ h: APIHarness, _ subject: String, _ scopes: [Scope], tenant: String = "acme") async throws -> String {
        try await h.keys.issue(TokenPayload(subject: subject, tenant: TenantID(tenant), scopes: scopes, ttl: 600))
    }

    static func name(_ s: String) -> HTTPField.Name { HTTPField.Name(s)! }

    /// Uploads `bytes` directly; returns the file id.
    static func upload(_ client: any TestClientProtocol, _ h: APIHarness, _ token: String, _ bytes: [UInt8], name: String,
                       _ extra: [HTTPField.Name: String] = [:]) async throws -> String {
        var headers = h.headers(token, extra)
        headers[.uploadFilenameTest] = name
        return try await client.execute(uri: "/v1/files", method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) { response in
            #expect(response.status == .created, "upload \(name): \(response.status)")
            return try decode(FileResource.self, response).id
        }
    }

    /// Creates a tus upload of `length` with `metadata`, sends `bytes` (all or part of it); returns its location.
    static func tus(_ client: any TestClientProtocol, _ h: APIHarness, _ token: String, length: Int, filename: String, subjects: String? = nil,
                    send bytes: [UInt8]) async throws -> String {
        var meta = "filename \(Data(filename.utf8).base64EncodedString())"
        if let subjects { meta += ",subjects \(Data(subjects.utf8).base64EncodedString())" }
        let location = try await client.execute(uri: "/v1/uploads", method: .post,
                                                headers: PipelineProofTests.tus(h, token, [name("Upload-Length"): "\(length)", name("Upload-Metadata"): meta])) {
            #expect($0.status == .created)
            return $0.headers[.location] ?? ""
        }
        try await client.execute(uri: location, method: .patch,
                                 headers: PipelineProofTests.tus(h, token, [.contentType: "application/offset+octet-stream", name("Upload-Offset"): "0"]),
                                 body: ByteBuffer(bytes: bytes)) { #expect($0.status == .noContent) }
        return location
    }

    /// Every blob file under the store's root, with its bytes.
    static func blobWalk(_ root: URL) throws -> [(path: String, bytes: Data)] {
        var out: [(path: String, bytes: Data)] = []
        let e = FileManager.default.enumerator(atPath: root.path)
        while let p = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            let url = root.appendingPathComponent(p)
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue {
                out.append((p, (try? Data(contentsOf: url)) ?? Data()))
            }
        }
        return out
    }

    /// `pg_dump` of the test's whole database as the cluster's superuser (row-level security does not hide rows from it).
    static func dump(_ config: DatabaseConfiguration) throws -> String {
        let user = ProcessInfo.processInfo.environment["TEST_DUMP_USER"] ?? "postgres"
        let result = try runTool("/usr/bin/pg_dump", ["-h", config.host, "-p", "\(config.port)", "-U", user, "-d", config.database,
                                                      "--data-only", "--no-owner"])
        #expect(result.status == 0, "pg_dump failed")
        #expect(result.output.contains("COPY public.files"), "the dump holds the files table")
        return result.output
    }

    @Test func aSubjectIsErasedEverywhereExceptWhatALegalBasisKeepsAndTheReceiptVerifiesOffline() async throws {
        let sigs = try ClamAVTests.signatureDirectory()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("erasure-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sigs); try? FileManager.default.removeItem(at: work) }
        let engine = try await ClamAVEngine.load(directory: sigs, limits: ScanLimits())
        let jpeg = [UInt8](try await Data(contentsOf: ImagingTests.photo(in: work, as: "jpg")))
        let png = [UInt8](try await Data(contentsOf: ImagingTests.photo(in: work, as: "png")))
        let marker = "ALICE-PRIVATE-BYTES-\(UUID().uuidString)"
        let text = Array("\(marker) a letter to the tax office\n".utf8)
        try await APIHarness.with(configuration: try Self.configuration()) { h, client in
            let alice = try await Self.token(h, Self.alice, [.filesRead, .filesWrite])
            let bob = try await Self.token(h, "bob", [.filesRead, .filesWrite])
            let dpo = try await Self.token(h, "dpo", [.complianceAdmin, .filesRead])
            // Alice's files: a photo (with variants, uploaded idempotently), a tus PNG, a deleted note, an infected file,
            // a held contract, a retained invoice, an unfinished tus upload; Bob's file naming her, and Bob's own.
            let photo = try await Self.upload(client, h, alice, jpeg, name: "alice-holiday.jpg", [Self.name("Idempotency-Key"): "alice-photo-1"])
            let tusLocation = try await Self.tus(client, h, alice, length: png.count, filename: "alice-tus.png", send: png)
            let tusFile = try await client.execute(uri: tusLocation, method: .head, headers: PipelineProofTests.tus(h, alice)) {
                $0.headers[Self.name("Filestore-File-Id")] ?? ""
            }
            let note = try await Self.upload(client, h, alice, text, name: "alice-note.txt")
            let infected = try await Self.upload(client, h, alice, Array("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*".utf8),
                                                 name: "alice-eicar.com")
            let contract = try await Self.upload(client, h, alice, text, name: "alice-contract.pdf")
            let invoice = try await Self.upload(client, h, alice, text, name: "alice-invoice.pdf", [Self.name("Upload-Retention-Class"): "tax_invoice"])
            let partial = try await Self.tus(client, h, alice, length: text.count * 2, filename: "alice-partial.bin", send: text)
            let aboutAlice = try await Self.upload(client, h, bob, text, name: "bob-about-alice.txt", [Self.name("Upload-Subjects"): "\(Self.alice), carol"])
            let bobsOwn = try await Self.upload(client, h, bob, Array("bob's own bytes".utf8), name: "bob-own.txt")
            try await client.execute(uri: "/v1/files/\(note)", method: .delete, headers: h.headers(alice)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/files/\(contract)/legal-hold", method: .put, headers: h.headers(dpo, [.contentType: "application/json"]),
                                     body: ByteBuffer(string: #"{"reason": "litigation 2026-17"}"#)) { (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(try decode(FileResource.self, response).legal_hold?.reason == "litigation 2026-17")
            }
            try await client.execute(uri: "/v1/files/\(invoice)", method: .get, headers: h.headers(alice)) { (response: TestResponse) throws in
                let r = try decode(FileResource.self, response).retention
                #expect(r.class == "tax_invoice" && (r.retain_until ?? .distantPast) > Date().addingTimeInterval(9 * 365 * 86400))
            }
            // The pipeline runs: variants for the images, the EICAR file quarantined, the deleted note purged.
            try await PipelineProofTests.runPipeline(h, engine: engine, until: 8) {
                try await h.count("files", where: "state = 'deleted' AND purged_at IS NOT NULL") == 1
            }
            #expect(try await h.count("file_variants", where: "file_id IN ('\(photo)', '\(tusFile)')") >= 4)
            #expect(try await h.count("files", where: "id = '\(infected)' AND state = 'quarantined'") == 1)
            // A dead-letter job that names her, and the undelivered events (no relay runs here).
            _ = try await h.env.postgres.query("""
                INSERT INTO jobkit.jobs (kind, queue, args, state, finalized_at, tenant_id, errors)
                VALUES ('crm.sync', 'default', jsonb_build_object('email', \(Self.alice)), 'discarded', now(), 'acme',
                        jsonb_build_array(jsonb_build_object('error', 'no such user ' || \(Self.alice))))
                """)
            #expect(try await h.count("outbox_events", where: "published_at IS NULL") > 0)

            // The erasure request: accepted once, the same reference again returns it.
            let body = ByteBuffer(string: #"{"subject_id": "\#(Self.alice)", "reason": "Art. 17 request by email", "reference": "ticket-42"}"#)
            let request = try await client.execute(uri: "/v1/erasure-requests", method: .post, headers: h.headers(dpo, [.contentType: "application/json"]),
                                                   body: body) { response -> ErasureRequestResource in
                #expect(response.status == .accepted)
                return try decode(ErasureRequestResource.self, response)
            }
            #expect(request.state == "received" && abs(request.due_at.timeIntervalSince(request.received_at) - 30 * 86400) < 5)
            try await client.execute(uri: "/v1/erasure-requests", method: .post, headers: h.headers(dpo, [.contentType: "application/json"]), body: body) {
                (response: TestResponse) throws in
                #expect(response.status == .ok)
                #expect(try decode(ErasureRequestResource.self, response).id == request.id)
            }
            try await client.execute(uri: "/v1/erasure-requests", method: .post, headers: h.headers(alice, [.contentType: "application/json"]), body: body) {
                #expect($0.status == .forbidden)
            }
            // The workers erase.
            var registry = JobRegistry()
            let tasks = registry.registerCompliance(core: h.core, system: nil, logger: TestDatabase.logger)
            #expect(tasks.isEmpty)
            try await h.env.withWorker(registry, TestEnv.fastWorker(queues: [.init("maintenance")])) { (_: JobWorkerService) async throws in
                do {
                    try await eventually("the erasure finished", timeout: .seconds(60)) {
                        try await h.count("erasure_requests", where: "state IN ('completed', 'completed_with_exceptions')") == 1
                    }
                } catch {
                    let r = try await h.core.erasure.get(PrefixedID(parsing: request.id, as: .erasure)!, as: Identity(subject: "t", tenant: TenantID("acme"), scopes: [.complianceAdmin]))
                    Issue.record("the erasure did not finish: \(r.state) after \(r.attempts) attempts: \(r.lastError ?? "no error")")
                    throw error
                }
            }
            let done = try await client.execute(uri: "/v1/erasure-requests/\(request.id)", method: .get, headers: h.headers(dpo)) {
                try decode(ErasureRequestResource.self, $0)
            }
            #expect(done.state == "completed_with_exceptions")
            #expect(done.progress.files_erased == 5 && done.progress.files_kept == 2, "\(done.progress)")
            let receipt = try #require(done.receipt)
            // Verifies offline with the published key; kept items are listed with their basis.
            let published = try await client.execute(uri: "/v1/compliance/receipt-keys", method: .get) { try decode(ReceiptKeysResource.self, $0) }
            let trusted = Dictionary(uniqueKeysWithValues: published.keys.map { ($0.key_id, $0.public_key) })
            try receipt.verify(trustedKeys: trusted)
            #expect(Set(receipt.receipt.exceptions.filter { $0.store == "postgres:files" }.map(\.item)) == [contract, invoice])
            #expect(receipt.receipt.exceptions.contains { $0.item == contract && ($0.basis ?? "").contains("legal hold") })
            #expect(receipt.receipt.exceptions.contains { $0.item == invoice && ($0.basis ?? "").contains("tax_invoice") })
            #expect(receipt.receipt.items.contains { $0.item.hasSuffix("/files/\(photo)/original") && $0.method == "deleted" && $0.verification.contains("not found") })
            #expect(receipt.receipt.subject_hash == done.subject_hash && !receipt.receipt.subject_hash.contains("alice"))
            var altered = receipt
            altered.receipt.exceptions.removeAll()
            #expect(throws: ErasureReceipt.VerificationError.self) { try altered.verify(trustedKeys: trusted) }
            var forged = receipt
            forged.signature.payload = Data(try ErasureReceipt.canonical(altered.receipt)).base64EncodedString()
            #expect(throws: ErasureReceipt.VerificationError.self) { try forged.verify(trustedKeys: trusted) }
            #expect(throws: ErasureReceipt.VerificationError.self) { try receipt.verify(trustedKeys: ["c1": Curve25519PublicKeyOfOtherKey.value]) }

            // The erased files: in state erased, described by nothing; the kept and Bob's own untouched.
            for id in [photo, tusFile, note, infected, aboutAlice] {
                try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.headers(bob)) { (response: TestResponse) throws in
                    let f = try decode(FileResource.self, response)
                    #expect(f.state == "erased" && f.name == nil && f.sha256 == nil && f.variants.isEmpty, "\(id)")
                }
            }
            for (id, state) in [(contract, "ready"), (invoice, "ready"), (bobsOwn, "ready")] {
                try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.headers(bob)) { (response: TestResponse) throws in
                    #expect(try decode(FileResource.self, response).state == state)
                }
            }
            try await client.execute(uri: partial, method: .head, headers: PipelineProofTests.tus(h, alice)) { #expect($0.status == .notFound) }

            // The whole database: the subject's id, her file names and bytes appear nowhere but in the kept files' rows.
            let dump = try Self.dump(h.env.config)
            let keptIDs = [contract, invoice]
            let leaks = dump.split(separator: "\n").filter { line in
                (line.contains(Self.alice) || line.contains("alice-holiday") || line.contains("alice-tus") || line.contains("alice-note")
                 || line.contains("alice-eicar") || line.contains("alice-partial") || line.contains("bob-about-alice") || line.contains(marker))
                    && !keptIDs.contains(where: { line.contains($0) })
            }
            #expect(leaks.isEmpty, "left in the database:\n\(leaks.prefix(10).joined(separator: "\n"))")
            #expect(dump.contains(done.subject_hash))
            // Every blob: none of an erased file or of the staged upload, none holding her marker except the kept files'.
            let blobs = try Self.blobWalk(h.blobRoot)
            let erasedIDs = [photo, tusFile, note, infected, aboutAlice]
            #expect(blobs.filter { b in erasedIDs.contains { b.path.contains($0) } }.isEmpty)
            #expect(blobs.filter { b in b.bytes.range(of: Data(marker.utf8)) != nil && !keptIDs.contains { b.path.contains($0) } }.isEmpty)
            #expect(blobs.contains { $0.path.contains(bobsOwn) } && blobs.contains { $0.path.contains(contract) } && blobs.contains { $0.path.contains(invoice) })
            // Events for recipients: one file.erased.v1 per erased file and dsr.completed.v1.
            #expect(try await h.count("outbox_events", where: "topic = 'file.erased.v1'") == 5)
            #expect(try await h.count("outbox_events", where: "topic = 'dsr.completed.v1' AND aggregate_id = '\(request.id)'") == 1)
            // The audit chain still verifies, the subject's rows redacted (their digests sealed in the chain).
            let verification = try await h.core.audit.verify(tenant: TenantID("acme"))
            #expect(verification.chain.ok, "\(verification.chain)")
            #expect(try await h.count("audit_events", where: "actor IS NULL AND actor_digest IS NOT NULL") >= 7)
        }
    }
}

extension HTTPField.Name {
    static let uploadFilenameTest = Self("Upload-Filename")!
}

/// A public key that is not the service's.
enum Curve25519PublicKeyOfOtherKey {
    static let value = (try? ComplianceKeys([("x", String(repeating: "x", count: 40))]))?.current.publicKeyBase64 ?? ""
}
