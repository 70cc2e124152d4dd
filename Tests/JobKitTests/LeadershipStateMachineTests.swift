@testable import JobKit
import Testing

/// Every transition of a leadership candidate, without a database or a clock.
@Suite struct LeadershipStateMachineTests {
    let interval = Duration.seconds(5)

    /// A machine that has started and won its first election.
    func leading() -> LeadershipStateMachine {
        var m = LeadershipStateMachine(electionInterval: interval)
        _ = m.start()
        _ = m.electionSucceeded()
        return m
    }

    /// A machine that has started and lost its first election.
    func following() -> LeadershipStateMachine {
        var m = LeadershipStateMachine(electionInterval: interval)
        _ = m.start()
        _ = m.electionLost()
        return m
    }

    @Test func startsByStandingForElection() {
        var m = LeadershipStateMachine(electionInterval: interval)
        #expect(m.start() == .attemptElection)
        #expect(!m.isLeading)
        #expect(m.start() == .none) // only once
    }

    @Test func electedStartsLeadingThenRenewsOnEveryInterval() {
        var m = LeadershipStateMachine(electionInterval: interval)
        _ = m.start()
        #expect(m.electionSucceeded() == .startLeading(renewAfter: interval))
        #expect(m.isLeading)
        for _ in 0..<3 {
            #expect(m.timerFired() == .renew)
            #expect(m.isLeading)
            #expect(m.electionSucceeded() == .waitForRenewal(renewAfter: interval))
        }
        #expect(m.isLeading)
    }

    @Test func aFollowerRetriesOnItsIntervalAndWinsLater() {
        var m = LeadershipStateMachine(electionInterval: interval)
        _ = m.start()
        #expect(m.electionLost() == .waitAndRetry(retryAfter: interval))
        #expect(!m.isLeading)
        #expect(m.timerFired() == .attemptElection)
        #expect(m.electionLost() == .waitAndRetry(retryAfter: interval))
        #expect(m.timerFired() == .attemptElection)
        #expect(m.electionSucceeded() == .startLeading(renewAfter: interval))
        #expect(m.isLeading)
    }

    @Test func anElectionErrorIsRetriedOnTheInterval() {
        var m = LeadershipStateMachine(electionInterval: interval)
        _ = m.start()
        #expect(m.electionFailed() == .waitAndRetry(retryAfter: interval))
        #expect(!m.isLeading)
        #expect(m.timerFired() == .attemptElection)
    }

    @Test func aResignNotificationWakesAFollowerAtOnce() {
        var m = following()
        #expect(m.resignNotified() == .attemptElection)
        #expect(m.electionSucceeded() == .startLeading(renewAfter: interval))
        // A leader ignores resign notifications (its own, or a stale one).
        #expect(m.resignNotified() == .none)
        #expect(m.isLeading)
    }

    @Test func lostToAnotherStepsDownThenStandsAgain() {
        var m = leading()
        #expect(m.timerFired() == .renew)
        #expect(m.electionLost() == .stepDown(.lostToAnother))
        #expect(!m.isLeading) // says so before the tasks have stopped
        #expect(m.steppedDown() == .attemptElection)
        #expect(m.electionLost() == .waitAndRetry(retryAfter: interval))
    }

    @Test func aFailedRenewalStepsDown() {
        var m = leading()
        _ = m.timerFired()
        #expect(m.electionFailed() == .stepDown(.renewalFailed))
        #expect(!m.isLeading)
        #expect(m.steppedDown() == .attemptElection)
        #expect(m.electionSucceeded() == .startLeading(renewAfter: interval))
    }

    @Test func shutdownWhileLeadingStepsDownThenResigns() {
        var m = leading()
        #expect(m.shutdown() == .stepDown(.shutdown))
        #expect(!m.isLeading)
        #expect(m.shutdown() == .none) // already on its way
        #expect(m.steppedDown() == .resign)
        #expect(m.shutdown() == .none)
        #expect(m.timerFired() == .none)
        #expect(m.electionSucceeded() == .none)
    }

    @Test func shutdownDuringARenewalStepsDownThenResigns() {
        var m = leading()
        _ = m.timerFired()
        #expect(m.shutdown() == .stepDown(.shutdown))
        // The renewal's late answer changes nothing.
        #expect(m.electionSucceeded() == .none)
        #expect(m.steppedDown() == .resign)
    }

    @Test func shutdownWhileSteppingDownResignsInsteadOfStandingAgain() {
        var m = leading()
        _ = m.timerFired()
        #expect(m.electionLost() == .stepDown(.lostToAnother))
        #expect(m.shutdown() == .none)
        #expect(m.steppedDown() == .resign)
    }

    @Test func shutdownWhileFollowingOrElectingResigns() {
        var follower = following()
        #expect(follower.shutdown() == .resign)
        #expect(follower.resignNotified() == .none)
        #expect(follower.timerFired() == .none)

        var electing = LeadershipStateMachine(electionInterval: interval)
        _ = electing.start()
        #expect(electing.shutdown() == .resign)
        // An election that was in flight and won: the resign that follows gives it up; nothing starts.
        #expect(electing.electionSucceeded() == .none)
        #expect(!electing.isLeading)

        var idle = LeadershipStateMachine(electionInterval: interval)
        #expect(idle.shutdown() == .resign)
        #expect(idle.start() == .none)
    }

    @Test func eventsThatDoNotApplyChangeNothing() {
        var m = following()
        #expect(m.steppedDown() == .none)
        #expect(m.electionSucceeded() == .none) // no election in flight
        #expect(m.timerFired() == .attemptElection)
        var l = leading()
        #expect(l.electionLost() == .none) // no renewal in flight
        #expect(l.isLeading)
    }
}
