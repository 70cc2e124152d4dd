import API
import Console
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import PostgresNIO
import HummingbirdTesting
import Storage
import Testing
import TestSupport

/// The webhooks page of one tenant: failing endpoints first with their latest attempts, the dead deliveries,
/// a dry-run count then a replay; another tenant's rows are never shown (row-level security).
@Suite struct ConsoleWebhooksTests {
    @Test func aTenantsFailingEndpointsAndDeadDeliveriesAreShownAndReplayedAfterADryRun() async throws {
        try await ConsoleHarness.with { h, client in
            let tenants = TenantDatabase(postgres: h.env.postgres, logger: TestDatabase.logger)
            let failing = PrefixedID(.webhook).description, healthy = PrefixedID(.webhook).description, foreign = PrefixedID(.webhook).description
            for (tenant, endpoint, failingSince) in [("acme", failing, "now()"), ("acme", healthy, "NULL"), ("globex", foreign, "now()")] {
                try await tenants.transaction(try TenantID(tenant)) { tx in
                    try await tx.query("INSERT INTO tenants (id, name) VALUES (\(tenant), \(tenant)) ON CONFLICT DO NOTHING", logger: TestDatabase.logger)
                    try await tx.query(PostgresQuery(unsafeSQL: """
                        INSERT INTO webhook_endpoints (id, tenant_id, url, topics, secret, failing_since)
                        VALUES ('\(endpoint)', '\(tenant)', 'https://hooks.example.com/\(tenant)', '{file.ready.v1}', 'whsec_test', \(failingSince))
                        """), logger: TestDatabase.logger)
                    try await tx.query(PostgresQuery(unsafeSQL: """
                        INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, topic, aggregate_id, seq, state, attempts)
                        SELECT '\(tenant)', '\(endpoint)', 'evt_' || i, 'file.ready.v1', 'med_x', i, 'dead', 12 FROM generate_series(1, 3) i
                        """), logger: TestDatabase.logger)
                    try await tx.query(PostgresQuery(unsafeSQL: """
                        INSERT INTO webhook_attempts (tenant_id, endpoint_id, event_id, topic, attempt, status_code, latency_ms, error, outcome)
                        VALUES ('\(tenant)', '\(endpoint)', 'evt_1', 'file.ready.v1', 12, 503, 40, 'upstream said 503', 'dead')
                        """), logger: TestDatabase.logger)
                }
            }
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            let page = String(buffer: try await client.execute(uri: "/admin/webhooks?tenant=acme", method: .get, headers: browser.headers).body)
            #expect(page.contains(failing) && page.contains(healthy) && !page.contains(foreign))
            #expect(page.contains("upstream said 503") && !page.contains("whsec_test"), "attempts shown, secrets never")
            #expect(page.range(of: failing)!.lowerBound < page.range(of: healthy)!.lowerBound, "failing endpoints first")
            let (headers, dry) = browser.form([("tenant", "acme"), ("endpoint", failing)])
            let dryRun = try await client.execute(uri: "/admin/webhooks/replay", method: .post, headers: headers, body: dry)
            #expect(String(buffer: dryRun.body).contains("<strong id=\"matched\">3</strong>"))
            func dead(_ tenant: String) async throws -> Int64? {
                try await tenants.transaction(try TenantID(tenant)) { tx in
                    for try await n in try await tx.query("SELECT count(*)::int8 FROM webhook_deliveries WHERE state = 'dead'", logger: TestDatabase.logger).decode(Int64.self) { return n }
                    return nil
                }
            }
            #expect(try await dead("acme") == 6, "a dry run changes nothing")
            let (h2, run) = browser.form([("tenant", "acme"), ("endpoint", failing), ("confirm", "1")])
            #expect(try await client.execute(uri: "/admin/webhooks/replay", method: .post, headers: h2, body: run).status == .seeOther)
            #expect(try await dead("acme") == 3)
            #expect(try await dead("globex") == 3)
            let (h3, bad) = browser.form([("tenant", "Not A Tenant!")])
            #expect(try await client.execute(uri: "/admin/webhooks/replay", method: .post, headers: h3, body: bad).status == .badRequest)
            let audit = try await h.env.scalar("SELECT string_agg(status || ':' || matched, ',' ORDER BY id) FROM console.audit WHERE action = 'webhook_replay'", as: String.self)
            #expect(audit == "dry_run:3,done:3")
        }
    }
}
