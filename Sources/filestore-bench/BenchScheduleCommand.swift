import ArgumentParser
import Foundation
import JobKit
import Logging
import PostgresNIO
import Scheduler
import Synchronization

/// The scheduler benchmark: a fresh database with `--minute` operator schedules firing every minute
/// (`* * * * *`) and `--second` at `@every 1s`, then the scheduler's own run (``SchedulerTask/drain(_:)``: a tick
/// every `--tick-ms`, repeated while a batch is full, `--parallelism` transactions at once during a backlog) for
/// `--seconds`, in this process. Reports the insert lag from fire time to commit (p50/p99/max), the scheduler's CPU per fire
/// (getrusage of this process), the database time per tick (wall time of the tick transactions, and of the
/// minute-boundary bursts), and checks one job per (schedule, fire time). One JSON line.
struct BenchScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schedule", abstract: "Insert lag and cost of the scheduler (one JSON line).")

    @Option var minute = 10_000
    @Option var second = 1_000
    @Option(help: "How long to run the scheduler (cover at least two minute boundaries).") var seconds = 130.0
    @Option(name: .customLong("tick-ms")) var tickMS = 200
    @Option(name: .customLong("batch")) var batch = 2000
    @Option(help: "Tick transactions at once during a backlog (FILESTORE_SCHEDULER_PARALLELISM).") var parallelism = 2
    @Option var label = "filestore"
    @Option(name: .customLong("dsn-base"), help: "Server URL without database (default $BENCH_DSN_BASE, else the test cluster).")
    var dsnBase: String?
    @Option(help: "Database name used (dropped and created).") var database = "filestore_bench_schedule"
    @OptionGroup var product: ProductOptions

    func run() async throws {
        let base = dsnBase ?? ProcessInfo.processInfo.environment["BENCH_DSN_BASE"] ?? "postgresql://filestore@127.0.0.1:5544"
        let server = try DatabaseConfiguration(url: base.hasSuffix("/") ? base + "postgres" : base + "/postgres")
        let db = try await BenchSupport.freshDatabase(database, on: server, product: try product.executable())
        let out = try await BenchSupport.withPostgres(db) { postgres in try await measure(postgres) }
        let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    private func measure(_ postgres: PostgresClient) async throws -> [String: Any] {
        let logger = BenchSupport.quietLogger
        // The schedules, in one statement (as many `schedules add` would leave them).
        let now = Date()
        let nextMinute = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / 60).rounded(.down) + 1) * 60)
        let nextSecond = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down) + 1)
        let names = (0..<minute).map { String(format: "minute-%05d", $0) } + (0..<second).map { String(format: "second-%04d", $0) }
        let crons = Array(repeating: "* * * * *", count: minute) + Array(repeating: "@every 1s", count: second)
        let nexts = Array(repeating: nextMinute, count: minute) + Array(repeating: nextSecond, count: second)
        try await postgres.query("""
            INSERT INTO scheduler.schedules (name, cron, kind, queue, next_fire_at, period_seconds)
            SELECT n, c, 'noop', 'bench', t, CASE WHEN c = '@every 1s' THEN 1 ELSE 60 END
            FROM unnest(\(names)::text[], \(crons)::text[], \(nexts)::timestamptz[]) AS u(n, c, t)
            """, logger: logger)
        try await postgres.query("ANALYZE scheduler.schedules", logger: logger)
        BenchSupport.log("schedule bench: \(minute) every minute + \(second) every second; running \(seconds) s")

        let store = ScheduleStore(postgres: postgres, logger: logger)
        let task = SchedulerTask(store: store, configuration: SchedulerConfiguration(tickInterval: .milliseconds(Int64(tickMS)), batchSize: batch,
                                                                                      parallelism: parallelism, misfireGrace: .seconds(15)),
                                 logger: logger)
        struct Tally: Sendable { var lags: [Double] = [], tickMillis: [Double] = [], fires = 0, conflicts = 0, skipped = 0, sawBurst = false }
        let tally = Mutex(Tally())
        let second = self.second
        var burstMillis: [Double] = []
        let clock = ContinuousClock()
        let cpu0 = Self.cpuSeconds()
        let end = clock.now + .milliseconds(Int64(seconds * 1000))
        while clock.now < end {
            let runStart = clock.now
            _ = try await task.drain { r, d in
                tally.withLock { t in
                    if r.schedules > 0 { t.tickMillis.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15) }
                    if r.schedules > second { t.sawBurst = true }
                    for (_, fire, _) in r.inserted { t.lags.append(r.committedAt.timeIntervalSince(fire)) }
                    t.fires += r.inserted.count
                    t.conflicts += r.conflicts
                    t.skipped += r.skipped.values.reduce(0, +)
                }
            }
            if tally.withLock({ t in defer { t.sawBurst = false }; return t.sawBurst }) {
                let d = clock.now - runStart
                burstMillis.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
            }
            try await Task.sleep(for: .milliseconds(tickMS))
        }
        var (lags, tickMillis, fires, conflicts, skipped) = tally.withLock { ($0.lags, $0.tickMillis, $0.fires, $0.conflicts, $0.skipped) }
        let cpu = Self.cpuSeconds() - cpu0
        // One job per (schedule, fire time), and the ledger agrees.
        var doubled: Int64 = -1, jobs: Int64 = -1
        for try await (d, n) in try await postgres.query("""
            SELECT (SELECT count(*) FROM (SELECT 1 FROM jobkit.jobs WHERE queue = 'bench' GROUP BY tags HAVING count(*) > 1) x)::int8,
                   (SELECT count(*) FROM jobkit.jobs WHERE queue = 'bench')::int8
            """, logger: logger).decode((Int64, Int64).self) { (doubled, jobs) = (d, n) }
        lags.sort()
        tickMillis.sort()
        func pct(_ a: [Double], _ p: Double) -> Double { a.isEmpty ? 0 : a[min(a.count - 1, Int(Double(a.count) * p))] }
        func r3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
        return [
            "bench": "schedule", "label": label, "minute_schedules": minute, "second_schedules": second, "seconds": seconds,
            "tick_ms": tickMS, "batch": batch, "parallelism": parallelism, "fires": fires, "jobs": jobs, "doubled_fire_times": doubled, "conflicts": conflicts,
            "skipped": skipped,
            "lag_p50_ms": r3(pct(lags, 0.5) * 1000), "lag_p99_ms": r3(pct(lags, 0.99) * 1000), "lag_max_ms": r3((lags.last ?? 0) * 1000),
            "cpu_us_per_fire": fires > 0 ? r3(cpu / Double(fires) * 1e6) : 0,
            "tick_db_ms_p50": r3(pct(tickMillis, 0.5)), "tick_db_ms_p99": r3(pct(tickMillis, 0.99)),
            "minute_burst_ms": burstMillis.map(r3),
            "target": "lag p99 < 1000 ms at 10000 schedules per minute",
            "env": ["cpus": ProcessInfo.processInfo.activeProcessorCount, "load_1m": Self.loadAverage()],
        ]
    }

    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }

    static func loadAverage() -> Double {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return Double(text.split(separator: " ").first ?? "") ?? -1
    }
}
