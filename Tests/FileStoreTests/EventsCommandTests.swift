import Domain
import FileCore
import Foundation
import Storage
import TestSupport
import Testing

/// `filestore events list|replay` as an operator runs them: the built binary against the test's database (the
/// service role), dead letters made by the real relay and a real receiver, the replay delivered by the relay.
@Suite(.serialized) struct EventsCommandTests {
    /// Runs `filestore events …` with only the database and the blob directory set (nothing of ours leaks in).
    static func events(_ h: RelayHarness, _ arguments: [String]) async throws -> FilestoreBinary.Result {
        let url = FilestoreBinary.databaseURL(TestDatabase.appRole(h.env.config))
        return try await FilestoreBinary.run(["events"] + arguments,
                                             environment: FilestoreBinary.isolatedEnvironment(["DATABASE_URL": url, "FILESTORE_BLOB_DIR": h.blobRoot.path]))
    }

    /// `events list --json`'s rows, failing the test on a non-zero exit or output that is not a JSON array.
    static func listed(_ h: RelayHarness, _ arguments: [String]) async throws -> [[String: Any]] {
        let r = try await events(h, ["list", "--tenant", "acme", "--json"] + arguments)
        #expect(r.status == 0, "events list \(arguments): \(r.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]
        return try #require(rows, "not a JSON array: \(r.stdout)")
    }

    /// Two endpoints, one file uploaded and deleted, both receivers answering 503: four dead letters (two events
    /// per endpoint); one of them is then dated a day back, for `--since`.
    static func deadLetters(_ h: RelayHarness) async throws -> (a: WebhookEndpointRecord, b: WebhookEndpointRecord, ra: WebhookReceiver,
                                                                    rb: WebhookReceiver, file: PrefixedID) {
        let a = try await h.core.webhooks.create(url: "http://127.0.0.1:1/a", topics: ["file.*"], description: nil, as: RelayHarness.writer)
        let b = try await h.core.webhooks.create(url: "http://127.0.0.1:1/b", topics: ["file.*"], description: nil, as: RelayHarness.writer)
        let ra = try WebhookReceiver(secrets: [a.secret]), rb = try WebhookReceiver(secrets: [b.secret])
        _ = try await h.core.webhooks.update(a.id, .init(url: ra.url), as: RelayHarness.writer)
        _ = try await h.core.webhooks.update(b.id, .init(url: rb.url), as: RelayHarness.writer)
        try ra.answer("503")
        try rb.answer("503")
        let file = try await h.withRelay {
            let file = try await h.upload(1, delete: true)[0]
            try await eventually("four dead letters", timeout: .seconds(30)) {
                try await h.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'") == 4
            }
            return file
        }
        try await h.execute("""
            UPDATE webhook_deliveries SET created_at = now() - interval '1 day' WHERE endpoint_id = '\(b.id)' AND topic = 'file.uploaded.v1'
            """)
        return (a, b, ra, rb, file)
    }

    @Test func deadLettersAreListedByFilterReplayedDryAndForRealAndDelivered() async throws {
        try await RelayHarness.with(schedule: [0.2]) { h in
            let (a, b, ra, rb, file) = try await Self.deadLetters(h)
            defer { ra.stop(); rb.stop() }
            let failedAttempts = try ra.entries().count + rb.entries().count
            #expect(failedAttempts == 8, "two attempts per delivery")

            // list: the dead letter by default, narrowed by endpoint, topic and time.
            let all = try await Self.listed(h, [])
            #expect(all.count == 4 && all.allSatisfy { $0["state"] as? String == "dead" && $0["aggregate_id"] as? String == file.description })
            let ofA = try await Self.listed(h, ["--endpoint", a.id.description])
            #expect(ofA.count == 2 && ofA.allSatisfy { $0["endpoint_id"] as? String == a.id.description })
            let deleted = try await Self.listed(h, ["--topic", "file.deleted.v1"])
            #expect(deleted.count == 2 && deleted.allSatisfy { $0["topic"] as? String == "file.deleted.v1" })
            let hourAgo = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3600))
            let recent = try await Self.listed(h, ["--since", hourAgo])
            #expect(recent.count == 3 && !recent.contains { $0["endpoint_id"] as? String == b.id.description && $0["topic"] as? String == "file.uploaded.v1" })
            #expect(try await Self.listed(h, ["--endpoint", b.id.description, "--topic", "file.uploaded.v1", "--since", hourAgo]).isEmpty)
            #expect(try await Self.listed(h, ["--state", "pending"]).isEmpty)
            // The table for people: one line per delivery, with its event id and endpoint.
            let text = try await Self.events(h, ["list", "--tenant", "acme", "--endpoint", a.id.description])
            let ids = ofA.compactMap { $0["event_id"] as? String }
            #expect(text.status == 0 && text.stdout.split(separator: "\n").count == 2
                    && ids.allSatisfy { text.stdout.contains($0) } && text.stdout.contains(a.id.description), "\(text.stdout)\(text.stderr)")
            let none = try await Self.events(h, ["list", "--tenant", "acme", "--state", "delivered"])
            #expect(none.status == 0 && none.stdout.contains("no deliveries"))

            // replay --dry-run: says what it would replay, changes nothing.
            let jobsBefore = try await h.env.count(queue: "webhooks")
            let dry = try await Self.events(h, ["replay", "--tenant", "acme", "--endpoint", a.id.description, "--dry-run"])
            #expect(dry.status == 0 && dry.stdout.contains("would replay 2 deliveries"), "\(dry.stdout)\(dry.stderr)")
            let dryJSON = try await Self.events(h, ["replay", "--tenant", "acme", "--since", hourAgo, "--dry-run", "--json"])
            #expect(dryJSON.stdout.contains("\"matched\":3") && dryJSON.stdout.contains("\"replayed\":0"), "\(dryJSON.stdout)")
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'") == 4)
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE state = 'dead' AND attempts = 2") == 4)
            #expect(try await h.env.count(queue: "webhooks") == jobsBefore, "a dry run enqueues no relay job")

            // replay: endpoint A's two dead letters go back, and the relay delivers them, in order, same ids.
            try ra.answer(nil)
            try rb.answer(nil)
            let real = try await Self.events(h, ["replay", "--tenant", "acme", "--endpoint", a.id.description])
            #expect(real.status == 0 && real.stdout.contains("replayed 2 deliveries"), "\(real.stdout)\(real.stderr)")
            #expect(try await h.count("SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = '\(a.id)' AND state = 'pending' AND attempts = 0") == 2)
            try await h.withRelay {
                try await eventually("the replayed events arrive", timeout: .seconds(30)) { try ra.entries().delivered.count == 2 }
            }
            let delivered = try ra.entries().delivered
            #expect(delivered.map(\.type) == ["file.uploaded.v1", "file.deleted.v1"])
            #expect(Set(delivered.compactMap(\.id)) == Set(ids))
            // Endpoint B's dead letters were not part of it: still dead, never sent again.
            #expect(try rb.entries().delivered.isEmpty)
            let left = try await Self.listed(h, [])
            #expect(left.count == 2 && left.allSatisfy { $0["endpoint_id"] as? String == b.id.description })
            #expect(try await Self.listed(h, ["--state", "delivered", "--endpoint", a.id.description]).count == 2)
        }
    }

    @Test func badArgumentsAreRefusedWithAClearMessageAndANonZeroExit() async throws {
        try await RelayHarness.with { h in
            let cases: [([String], String)] = [
                (["list"], "--tenant"),
                (["list", "--tenant", "acme", "--since", "yesterday"], "--since must be an RFC 3339 time"),
                (["list", "--tenant", "acme", "--endpoint", "med_123"], "is not a webhook id"),
                (["list", "--tenant", "acme", "--state", "lost"], "--state is pending, delivered, dead or all"),
                (["list", "--tenant", "acme", "--limit", "0"], "--limit is 1-10000"),
                (["list", "--tenant", "Not A Tenant!"], "invalid tenant"),
                (["replay", "--tenant", "acme", "--since", "2026-13-45"], "--since must be an RFC 3339 time"),
                (["replay", "--tenant", "acme", "--bogus"], "--bogus"),
                (["resend"], "Unexpected argument 'resend'"),
            ]
            for (arguments, message) in cases {
                let r = try await Self.events(h, arguments)
                #expect(r.status != 0, "events \(arguments) exited 0")
                #expect(r.stderr.contains(message), "events \(arguments): \(r.stderr)")
            }
        }
    }
}
