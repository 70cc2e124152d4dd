import TestSupport
import Foundation
@testable import JobKit
import Testing

/// A deterministic random source for jitter tests.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct RetryPolicyTests {
    @Test func growsExponentiallyWithoutJitter() {
        let p = RetryPolicy(base: .seconds(1), multiplier: 2, maximum: .seconds(3600), jitter: 0)
        var rng = SeededRandom(state: 1)
        #expect(p.delay(afterAttempt: 1, using: &rng) == .seconds(1))
        #expect(p.delay(afterAttempt: 2, using: &rng) == .seconds(2))
        #expect(p.delay(afterAttempt: 5, using: &rng) == .seconds(16))
    }

    @Test func isCappedAtTheMaximum() {
        let p = RetryPolicy(base: .seconds(1), maximum: .seconds(60), jitter: 0)
        var rng = SeededRandom(state: 1)
        #expect(p.delay(afterAttempt: 30, using: &rng) == .seconds(60))
        #expect(p.delay(afterAttempt: 10_000, using: &rng) == .seconds(60))
    }

    @Test func jitterStaysWithinBoundsAndVaries() {
        let p = RetryPolicy(base: .seconds(10), jitter: 0.2)
        var rng = SeededRandom(state: 42)
        let delays = (0..<200).map { _ in p.delay(afterAttempt: 1, using: &rng).seconds }
        #expect(delays.allSatisfy { $0 >= 8 && $0 <= 12 })
        #expect(Set(delays.map { Int($0 * 1000) }).count > 50)
    }
}

@Suite struct JobOutcomeTests {
    func decide(_ error: (any Error)?, attempt: Int = 1, max: Int = 3, interruption: JobOutcome.Interruption? = nil,
                inTx: Bool = false) -> JobOutcome {
        var rng = SeededRandom(state: 7)
        return JobOutcome.decide(.init(attempt: attempt, maxAttempts: max, policy: RetryPolicy(base: .seconds(1), jitter: 0),
                                       error: error, interruption: interruption, completedInTransaction: inTx), using: &rng)
    }
    struct Boom: Error {}

    @Test func successCompletes() { #expect(decide(nil) == .completed) }
    @Test func successInsideHandlerTransactionWritesNothing() { #expect(decide(nil, inTx: true) == .none) }
    @Test func failureWithAttemptsLeftRetriesWithBackoff() {
        #expect(decide(Boom(), attempt: 2, max: 3) == .retry(delay: .seconds(2), error: "Boom()"))
    }
    @Test func failureOnLastAttemptDiscards() { #expect(decide(Boom(), attempt: 3, max: 3) == .discard(error: "Boom()")) }
    @Test func snoozeAndCancelAreNotFailures() {
        #expect(decide(JobSnooze(.seconds(5))) == .snooze(delay: .seconds(5)))
        #expect(decide(JobCancel("why")) == .cancel(reason: "why"))
    }
    @Test func interruptionsDecideFirst() {
        #expect(decide(CancellationError(), interruption: .lost) == .none)
        #expect(decide(CancellationError(), interruption: .shutdown) == .putBack(reason: "interrupted by worker shutdown"))
        #expect(decide(CancellationError(), attempt: 1, max: 3, interruption: .timeout(.seconds(2))) == .retry(delay: .seconds(1), error: "timed out after 2.0s"))
        #expect(decide(CancellationError(), attempt: 3, max: 3, interruption: .timeout(.seconds(2))) == .discard(error: "timed out after 2.0s"))
    }
    @Test func undecodableArgsAreDiscardedAtOnce() {
        #expect(decide(JobKitError(.invalidArgs, "bad"), attempt: 1, max: 20) == .discard(error: "INVALID_ARGS: bad"))
    }
}

@Suite struct SQLSplitterTests {
    @Test func splitsAtTopLevelSemicolonsOnly() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE t (a text DEFAULT ';');
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM 1; RETURN NULL; END $$;
            /* block; comment */ SELECT "odd;name" FROM t;
            SELECT $tag$ x; y $tag$;
            """
        let parts = SQLSplitter.split(sql)
        #expect(parts.count == 4)
        #expect(parts[1].contains("PERFORM 1; RETURN NULL;"))
        #expect(parts[3] == "SELECT $tag$ x; y $tag$")
    }

    @Test func theMigrationsSplitIntoStatements() throws {
        let migrations = try TestDatabase.migrations()
        #expect(!migrations.isEmpty)
        for m in migrations { #expect(SQLSplitter.split(m.sql).count > 1) }
    }
}

@Suite struct ConfigurationTests {
    @Test func parsesDatabaseURLs() throws {
        let c = try DatabaseConfiguration(url: "postgres://alice:s%40cret@db.example:6543/files?pool_max=7")
        #expect(c.host == "db.example")
        #expect(c.port == 6543)
        #expect(c.username == "alice")
        #expect(c.password == "s@cret")
        #expect(c.database == "files")
        #expect(c.maximumConnections == 7)
    }

    @Test(arguments: ["mysql://a@b/c", "postgres://b/c", "postgres://a@b/", "not a url", "postgres://a@b/c?pool_max=0"])
    func refusesBadURLs(_ url: String) {
        #expect(throws: JobKitError.self) { try DatabaseConfiguration(url: url) }
    }

    @Test func queueNames() {
        #expect(QueueName.isValid("default"))
        #expect(QueueName.isValid("scan.high-1"))
        #expect(!QueueName.isValid(""))
        #expect(!QueueName.isValid("Default"))
        #expect(!QueueName.isValid("-x"))
        #expect(!QueueName.isValid(String(repeating: "a", count: 65)))
    }

    @Test func jobInsertValidation() {
        #expect(throws: JobKitError.self) { try JobInsert(kind: "noop", argsJSON: "[1]").validate() }
        #expect(throws: JobKitError.self) { try JobInsert(kind: "noop", argsJSON: "{bad").validate() }
        #expect(throws: JobKitError.self) { try JobInsert(kind: "noop", priority: 10).validate() }
        #expect(throws: JobKitError.self) { try JobInsert(kind: "", argsJSON: "{}").validate() }
        #expect(throws: Never.self) { try JobInsert(kind: "noop", argsJSON: "{\"a\":1}").validate() }
    }

    @Test func jobStateNames() {
        #expect(JobState(name: "Discarded") == .discarded)
        #expect(JobState(name: "dead") == nil)
    }
}

/// The wake-up every producer, completer and the maintenance loop wait on.
@Suite struct WakeSignalTests {
    @Test func aCancelledWaitLeavesTheSignalWorking() async throws {
        let signal = WakeSignal()
        // A wait raced against a timer and cancelled, as the maintenance loop does between elections.
        for _ in 0..<3 {
            let waiter = Task { await signal.wait() }
            try await Task.sleep(for: .milliseconds(10))
            waiter.cancel()
            #expect(await waiter.value == false)
        }
        // A later wait still blocks until it is woken (it used to return at once: a busy loop).
        let start = ContinuousClock.now
        let second = Task { await signal.wait() }
        try await Task.sleep(for: .milliseconds(100))
        signal.wake()
        #expect(await second.value == true)
        #expect(ContinuousClock.now - start >= .milliseconds(100))
    }

    @Test func wakesCoalesceAndFinishEndsEveryWait() async throws {
        let signal = WakeSignal()
        signal.wake()
        signal.wake()
        #expect(await signal.wait() == true)   // the two wakes count as one…
        let pending = Task { await signal.wait() }
        try await Task.sleep(for: .milliseconds(50))
        signal.finish()                         // …so this wait was still parked, until finish
        #expect(await pending.value == false)
        #expect(await signal.wait() == false)
        let cancelledFirst = Task { await signal.wait() }
        cancelledFirst.cancel()
        #expect(await cancelledFirst.value == false)
    }
}
