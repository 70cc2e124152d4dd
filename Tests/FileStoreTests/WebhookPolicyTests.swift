import Domain
import FileCore
import Foundation
import TestSupport
import Testing

/// The pure parts of delivery: retry schedule with jitter, the decision after an attempt, the URL and address
/// rules (SSRF), and Standard Webhooks signatures checked by the reference Python library.
@Suite struct WebhookPolicyTests {
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state }
    }

    @Test func theStandardScheduleSpreadsEachDelayByTwentyPercentAndEndsInTheDeadLetter() {
        let schedule = RetrySchedule()
        #expect(schedule.maxAttempts == 8)
        var rng = Seeded(state: 42)
        for (i, base) in RetrySchedule.standard.enumerated() {
            var seen: [Double] = []
            for _ in 0..<500 {
                let d = schedule.delay(after: i + 1, using: &rng)!
                #expect(d >= base * 0.8 && d <= base * 1.2, "retry \(i + 1): \(d)")
                seen.append(d)
            }
            // Really spread, not a constant: both halves of the band are hit.
            #expect(seen.contains { $0 < base * 0.95 } && seen.contains { $0 > base * 1.05 })
        }
        #expect(schedule.delay(after: 8, using: &rng) == nil)
        #expect(schedule.delay(after: 0, using: &rng) == nil)
    }

    @Test func bodyTimestampsAreWhatISO8601DateFormatterWritesWithMilliseconds() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var rng = Seeded(state: 7)
        // Whole milliseconds (what the relay sends: commit times have microseconds, sent to the nearest millisecond).
        let samples: [Int64] = [0, 999, 1000, 951_782_400_000, 1_767_225_599_999, 4_102_444_800_500]
            + (0..<2000).map { _ in Int64(rng.next() % 4_000_000_000_000) }
        for ms in samples {
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            #expect(WebhookRelay.timestamp(date) == formatter.string(from: date), "\(ms) ms")
        }
        #expect(WebhookRelay.timestamp(Date(timeIntervalSince1970: 1.0004)) == "1970-01-01T00:00:01.000Z")
        #expect(WebhookRelay.timestamp(Date(timeIntervalSince1970: 1.0006)) == "1970-01-01T00:00:01.001Z")
        #expect(WebhookRelay.timestamp(Date(timeIntervalSince1970: 1_764_877_530.5)) == "2025-12-04T19:45:30.500Z")
    }

    @Test func schedulesParseFromSettingsText() {
        #expect(RetrySchedule.parseDelays("5s,5m,30m,2h,5h,10h,10h") == RetrySchedule.standard)
        #expect(RetrySchedule.parseDelays("100ms, 1s ,1d") == [0.1, 1, 86400])
        for bad in ["", "5", "5x", "-1s", "s", "1s,,2s", "nans"] { #expect(RetrySchedule.parseDelays(bad) == nil, "\(bad)") }
    }

    @Test func theDecisionAfterAnAttempt() {
        let policy = DeliveryPolicy(schedule: RetrySchedule(delays: [5, 300], jitter: 0), disableAfter: 5 * 86400)
        var rng = Seeded(state: 1)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for status in [200, 201, 204, 299] {
            #expect(policy.decide(WebhookResponse(status: status), attempt: 1, failingSince: nil, now: now, using: &rng) == .delivered)
        }
        // Anything else fails: 3xx (no redirect is followed), 4xx, 5xx, no answer.
        for response in [WebhookResponse(status: 301), WebhookResponse(status: 400), WebhookResponse(status: 500), WebhookResponse(status: nil, error: "refused")] {
            #expect(policy.decide(response, attempt: 1, failingSince: now, now: now, using: &rng) == .retry(at: now.addingTimeInterval(5)))
            #expect(policy.decide(response, attempt: 2, failingSince: now, now: now, using: &rng) == .retry(at: now.addingTimeInterval(300)))
            #expect(policy.decide(response, attempt: 3, failingSince: now, now: now, using: &rng) == .dead)
        }
        // Retry-After on 429 and 503 (never shorter than the schedule, never longer than its longest step).
        #expect(policy.decide(WebhookResponse(status: 429, retryAfter: 60), attempt: 1, failingSince: now, now: now, using: &rng)
                == .retry(at: now.addingTimeInterval(60)))
        #expect(policy.decide(WebhookResponse(status: 503, retryAfter: 99999), attempt: 1, failingSince: now, now: now, using: &rng)
                == .retry(at: now.addingTimeInterval(300)))
        #expect(policy.decide(WebhookResponse(status: 500, retryAfter: 60), attempt: 1, failingSince: now, now: now, using: &rng)
                == .retry(at: now.addingTimeInterval(5)))
        // 410 disables at once; a failure streak of the configured length disables too.
        guard case .disableEndpoint = policy.decide(WebhookResponse(status: 410), attempt: 1, failingSince: now, now: now, using: &rng) else {
            Issue.record("410 must disable"); return
        }
        guard case .disableEndpoint = policy.decide(WebhookResponse(status: 500), attempt: 1, failingSince: now.addingTimeInterval(-5 * 86400),
                                                    now: now, using: &rng) else { Issue.record("5 days of failure must disable"); return }
        #expect(policy.decide(WebhookResponse(status: 500), attempt: 1, failingSince: now.addingTimeInterval(-5 * 86400 + 1), now: now, using: &rng)
                == .retry(at: now.addingTimeInterval(5)))
    }

    @Test func urlsMustBeHTTPSToPublicAddresses() async throws {
        let strict = WebhookURLPolicy(allowPrivate: false)
        for bad in ["http://example.com/hook", "ftp://example.com", "https://", "not a url", "https://user:pw@example.com/",
                    "https://127.0.0.1/", "https://10.1.2.3/", "https://172.16.0.1/", "https://192.168.1.1/", "https://169.254.169.254/latest",
                    "https://100.64.0.1/", "https://0.0.0.0/", "https://[::1]/", "https://[fe80::1]/", "https://[fd00:ec2::254]/",
                    "https://[::ffff:127.0.0.1]/", "https://localhost/", "https://a.localhost/", "https://metadata.google.internal/",
                    "https://224.0.0.1/", "https://" + String(repeating: "a", count: 2100) + ".com/"] {
            #expect(throws: FileError.self, "\(bad.prefix(60))") { try strict.validate(bad) }
        }
        #expect(try strict.validate("https://93.184.216.34/hook") == ("93.184.216.34", 443))
        #expect(try strict.validate("https://hooks.example.com:8443/x?y=1").port == 8443)
        // A name that resolves to loopback or a private address (this machine's own name) is refused after resolution.
        await #expect(throws: FileError.self) { try await strict.checkResolved("https://\(ProcessInfo.processInfo.hostName)/") }
        #expect(throws: FileError.self) { try strict.validate("https://localhost./") }
        let open = WebhookURLPolicy(allowPrivate: true)
        #expect(try open.validate("http://127.0.0.1:8080/hook") == ("127.0.0.1", 8080))
        try await open.checkResolved("http://localhost:9/")
        // The address table itself.
        for forbidden in ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "fc00::1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "ff02::1", "::"] {
            #expect(WebhookURLPolicy.isForbidden(WebhookURLPolicy.parseLiteral(forbidden)!), "\(forbidden)")
        }
        for allowed in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1", "192.169.0.1"] {
            #expect(!WebhookURLPolicy.isForbidden(WebhookURLPolicy.parseLiteral(allowed)!), "\(allowed)")
        }
    }

    @Test func signaturesVerifyWithTheReferenceLibraryAndTheInboxVerifierAgrees() throws {
        let secret = WebhookSigner.newSecret()
        let other = WebhookSigner.newSecret()
        #expect(secret.hasPrefix("whsec_") && WebhookSigner.key(of: secret)?.count == 32)
        let id = PrefixedID(.event).description
        let ts = Int(Date().timeIntervalSince1970)
        let body = Array(#"{"type":"file.ready.v1","timestamp":"2026-12-02T10:00:00.000Z","data":{"file_id":"med_x","emoji":"✓"}}"#.utf8)
        let headers = WebhookSigner.headers(id: id, timestamp: ts, body: body, secrets: [secret, other])
        let signature = headers.first { $0.0 == "webhook-signature" }!.1
        #expect(signature.split(separator: " ").count == 2)
        let script = """
            import sys, json
            from standardwebhooks import Webhook
            body = open(sys.argv[1], 'rb').read()
            h = {'webhook-id': sys.argv[2], 'webhook-timestamp': sys.argv[3], 'webhook-signature': sys.argv[4]}
            out = []
            for s in sys.argv[5:]:
                try:
                    Webhook(s).verify(body, h); out.append('ok')
                except Exception as e:
                    out.append('fail')
            print(' '.join(out))
            """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sig-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try script.write(to: dir.appendingPathComponent("v.py"), atomically: true, encoding: .utf8)
        try Data(body).write(to: dir.appendingPathComponent("body"))
        let stranger = WebhookSigner.newSecret()
        let (status, output) = try runTool(WebhookReceiver.python, [dir.appendingPathComponent("v.py").path, dir.appendingPathComponent("body").path,
                                                                    id, String(ts), signature, secret, other, stranger])
        #expect(status == 0)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok ok fail")
        // The inbox's verifier: either secret, not a tampered body, not an old timestamp.
        #expect(WebhookSigner.verify(id: id, timestampText: String(ts), signatureHeader: signature, body: body, secrets: [other]))
        #expect(!WebhookSigner.verify(id: id, timestampText: String(ts), signatureHeader: signature, body: body + [32], secrets: [secret]))
        #expect(!WebhookSigner.verify(id: id, timestampText: String(ts), signatureHeader: signature, body: body, secrets: [stranger]))
        #expect(!WebhookSigner.verify(id: id, timestampText: String(ts - 600), signatureHeader: signature, body: body, secrets: [secret]))
    }
}
