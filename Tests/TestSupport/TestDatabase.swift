import Foundation
import JobKit
import Logging
import PostgresNIO
import ServiceLifecycle

/// Gives each test a database of its own, copied from a migrated template (CREATE DATABASE … TEMPLATE),
/// on the real PostgreSQL that `scripts/test.sh` starts. Nothing is mocked.
public enum TestDatabase {
    /// `TEST_DATABASE_URL` names a role that may create databases; default: the cluster of `scripts/pg.sh`.
    public static let server: DatabaseConfiguration = {
        let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"] ?? "postgres://filestore@127.0.0.1:5544/filestore"
        return try! DatabaseConfiguration(url: url)
    }()

    public static var logger: Logger {
        var l = Logger(label: "test")
        l.logLevel = ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return l
    }

    public static let repositoryRoot: URL = {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        return dir
    }()

    public static var migrationsDirectory: URL { repositoryRoot.appendingPathComponent("migrations") }

    /// Every migration the product applies, in order: JobKit's own schema, then the `migrations/` folder.
    public static func migrations() throws -> [Migrator.Migration] {
        try Migrator.ordered(JobKitSchema.migrations + Migrator.load(directory: migrationsDirectory))
    }

    /// Creates (once per test process) the migrated template and returns its name.
    private static let template = TemplateOnce()

    actor TemplateOnce {
        private var name: String?
        func get() async throws -> String {
            if let name { return name }
            let name = "filestore_tmpl_\(ProcessInfo.processInfo.processIdentifier)_\(UInt32.random(in: 0...UInt32.max))"
            try await admin("CREATE DATABASE \"\(name)\"")
            try await withClient(server.with(database: name)) { postgres in
                try await Migrator(postgres: postgres, logger: TestDatabase.logger).migrate(try TestDatabase.migrations())
            }
            self.name = name
            return name
        }
    }

    /// Runs one statement on the server's own database (CREATE/DROP DATABASE).
    public static func admin(_ sql: String) async throws {
        let connection = try await server.connect(logger: logger)
        defer { Task { try? await connection.close() } }
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    /// Runs `body` with a running pool on `config`.
    public static func withClient<T: Sendable>(_ config: DatabaseConfiguration, _ body: (PostgresClient) async throws -> T) async throws -> T {
        var c = config
        c.maximumConnections = 20
        let postgres = PostgresClient(configuration: c.clientConfiguration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await postgres.run() }
            defer { group.cancelAll() }
            return try await body(postgres)
        }
    }

    /// The service's own role (`filestore_app`: owns nothing, no BYPASSRLS) on `config`'s database.
    public static func appRole(_ config: DatabaseConfiguration) -> DatabaseConfiguration {
        var c = config
        c.username = ProcessInfo.processInfo.environment["TEST_APP_ROLE"] ?? "filestore_app"
        c.password = nil
        return c
    }

    /// The leader tasks' cross-tenant role (`filestore_system`: no table rights, only the functions of
    /// migration 0008) on `config`'s database.
    public static func systemRole(_ config: DatabaseConfiguration) -> DatabaseConfiguration {
        var c = config
        c.username = ProcessInfo.processInfo.environment["TEST_SYSTEM_ROLE"] ?? "filestore_system"
        c.password = nil
        return c
    }

    /// Runs `body` against a fresh, migrated database that is dropped afterwards.
    public static func with<T: Sendable>(_ body: (TestEnv) async throws -> T) async throws -> T {
        let template = try await template.get()
        let name = "filestore_t_\(UInt64.random(in: 0...UInt64.max))"
        try await admin("CREATE DATABASE \"\(name)\" TEMPLATE \"\(template)\"")
        let config = server.with(database: name)
        do {
            let result = try await withClient(config) { postgres in
                try await body(TestEnv(config: config, postgres: postgres))
            }
            try? await admin("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
            return result
        } catch let error as PSQLError {
            try? await admin("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
            // PSQLError's description is deliberately generic; a failing test should say what the server said.
            throw DatabaseTestFailure(description: String(reflecting: error))
        } catch {
            try? await admin("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
            throw error
        }
    }
}

/// A database error of a test, with the server's message and SQLSTATE (``TestDatabase/with(_:)``).
public struct DatabaseTestFailure: Error, CustomStringConvertible {
    public var description: String
}

/// One test's database.
public struct TestEnv: Sendable {
    public let config: DatabaseConfiguration
    public let postgres: PostgresClient
    public var client: JobClient { JobClient(postgres: postgres, logger: TestDatabase.logger) }

    /// A worker configuration with short times, so tests finish fast.
    public static func fastWorker(queues: [QueueConfiguration] = [QueueConfiguration("default", concurrency: 10)],
                           workerID: String = "w-\(UInt32.random(in: 0...UInt32.max))",
                           maintenance: Bool = true, grace: Duration = .seconds(5),
                           poll: Duration = .milliseconds(100), lease: Duration = .seconds(3)) -> JobWorkerConfiguration {
        JobWorkerConfiguration(
            queues: queues, workerID: workerID, pollInterval: poll, leaseDuration: lease,
            heartbeatInterval: .milliseconds(300), shutdownGracePeriod: grace,
            maintenance: maintenance ? fastMaintenance() : nil)
    }

    public static func fastMaintenance() -> MaintenanceConfiguration {
        MaintenanceConfiguration(leaderTTL: .seconds(1), electionInterval: .milliseconds(200), stageInterval: .milliseconds(100),
                                 rescueInterval: .milliseconds(200), pruneInterval: .seconds(60))
    }

    /// Runs a worker process's services (notifier, maintenance leader, workers) around `body`, then shuts them
    /// down gracefully and waits for them.
    public func withWorker<T: Sendable>(_ registry: JobRegistry, _ configuration: JobWorkerConfiguration,
                                 notifier useNotifier: Bool = true,
                                 _ body: (JobWorkerService) async throws -> T) async throws -> T {
        let config = self.config
        let notifier = useNotifier ? Notifier(connect: { try await config.connect(logger: TestDatabase.logger) }, logger: TestDatabase.logger) : nil
        let worker = JobWorkerService(postgres: postgres, registry: registry, configuration: configuration, notifier: notifier,
                                      logger: TestDatabase.logger)
        var services: [any Service] = []
        if let notifier { services.append(notifier) }
        if let m = configuration.maintenance {
            services.append(LeaderService(postgres: postgres, candidateID: configuration.workerID, maintenance: m,
                                          notifier: notifier, logger: TestDatabase.logger))
        }
        services.append(worker)
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: TestDatabase.logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            if let notifier { try await eventually("notifier listening") { notifier.isListening } }
            do {
                let result = try await body(worker)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// Counts jobs by state.
    public func count(_ state: JobState? = nil, queue: String? = nil) async throws -> Int {
        let rows = try await postgres.query("""
            SELECT count(*)::int8 FROM jobkit.jobs
            WHERE (\(state?.rawValue)::text IS NULL OR state::text = \(state?.rawValue))
              AND (\(queue)::text IS NULL OR queue = \(queue))
            """)
        for try await n in rows.decode(Int64.self) { return Int(n) }
        return 0
    }

    public func scalar<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as: T.Type = T.self) async throws -> T? {
        for try await v in try await postgres.query(query).decode(T.self) { return v }
        return nil
    }
}

public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "timed out waiting for: \(what)" }
}

/// Polls `condition` every 50 ms until it holds, failing after `timeout`.
public func eventually(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TimedOut(what: what)
}
