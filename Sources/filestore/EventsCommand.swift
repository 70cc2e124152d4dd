import ArgumentParser
import Domain
import FileCore
import FilestoreConfig
import Foundation
import JobKit
import Storage

/// Operator commands on webhook deliveries of one tenant: list them (the dead letter by default) and replay
/// dead letters (`docs/EVENTS.md`).
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Webhook deliveries: list the dead letter, replay it.",
                                                    subcommands: [List.self, Replay.self])

    struct Filters: ParsableArguments {
        @OptionGroup var db: DatabaseOptions
        @Option(help: "The tenant whose deliveries to act on.") var tenant: String
        @Option(help: "Only this endpoint (whk_…).") var endpoint: String?
        @Option(help: "Only this topic (e.g. file.ready.v1).") var topic: String?
        @Option(help: "Only deliveries created at or after this RFC 3339 time.") var since: String?
        @Flag(help: "Print JSON for scripts.") var json = false

        func parsed() throws -> (TenantID, String?, Date?) {
            let tenantID: TenantID
            do { tenantID = try TenantID(tenant) } catch { throw ValidationError("invalid tenant '\(tenant)'") }
            if let endpoint, PrefixedID(parsing: endpoint, as: .webhook) == nil { throw ValidationError("'\(endpoint)' is not a webhook id (whk_…)") }
            var date: Date?
            if let since {
                guard let d = ISO8601DateFormatter().date(from: since) else { throw ValidationError("--since must be an RFC 3339 time, e.g. 2026-12-01T00:00:00Z") }
                date = d
            }
            return (tenantID, endpoint, date)
        }

        func withWebhooks<T: Sendable>(_ body: @Sendable (Webhooks) async throws -> T) async throws -> T {
            let configuration = try FilestoreConfiguration.fromProcessEnvironment(flags: db.flags)
            let blobs = try makeBlobStore(configuration.blobs)
            return try await withJobClient(configuration.database) { client in
                let core = FileCore(database: TenantDatabase(postgres: client.postgres, logger: client.logger), blobs: blobs)
                do { return try await body(core.webhooks) } catch let error as FileError { throw CLIError(error.description) }
            }
        }
    }

    struct DeliveryOutput: Encodable {
        var id: Int64, endpoint_id: String, event_id: String, topic: String, aggregate_id: String, state: String, attempts: Int
        var next_attempt_at: Date, created_at: Date
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries (default: the dead letter, oldest first).")
        @OptionGroup var filters: Filters
        @Option(help: "pending, delivered, dead or all.") var state = "dead"
        @Option(help: "At most this many.") var limit = 100

        func run() async throws {
            let (tenant, endpoint, since) = try filters.parsed()
            guard ["pending", "delivered", "dead", "all"].contains(state) else { throw ValidationError("--state is pending, delivered, dead or all") }
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit is 1-10000") }
            let (topic, state, limit) = (filters.topic, state == "all" ? nil : state, limit)
            let rows = try await filters.withWebhooks {
                try await $0.deliveries(tenant: tenant, state: state, endpoint: endpoint, topic: topic, since: since, limit: limit)
            }
            if filters.json {
                try printJSON(rows.map { DeliveryOutput(id: $0.id, endpoint_id: $0.endpointID, event_id: $0.eventID, topic: $0.topic,
                                                        aggregate_id: $0.aggregateID, state: $0.state, attempts: $0.attempts,
                                                        next_attempt_at: $0.nextAttemptAt, created_at: $0.createdAt) })
                return
            }
            for r in rows { print("\(r.eventID)  \(r.endpointID)  \(r.topic)  \(r.state)  attempts=\(r.attempts)  \(r.aggregateID)") }
            if rows.isEmpty { print("no deliveries") }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliver the dead letters again (same event ids), now.")
        @OptionGroup var filters: Filters
        @Flag(help: "Only count what would be replayed.") var dryRun = false

        func run() async throws {
            let (tenant, endpoint, since) = try filters.parsed()
            let (topic, dryRun) = (filters.topic, dryRun)
            let n = try await filters.withWebhooks {
                try await $0.replayDead(tenant: tenant, endpoint: endpoint, topic: topic, since: since, dryRun: dryRun)
            }
            if filters.json { try printJSON(["replayed": dryRun ? 0 : n, "matched": n]); return }
            print(dryRun ? "would replay \(n) deliveries" : "replayed \(n) deliveries")
        }
    }
}
