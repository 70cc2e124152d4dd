import API
import FilestoreConfig
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `X-Forwarded-For` counts only when trusted proxies wrote it (`FILESTORE_TRUSTED_PROXIES`): behind a proxy each
/// client gets its own failure budget, and a client that writes the header itself gains nothing.
@Suite struct SecurityProxyTests {
    @Test func theClientIsTheFirstHopFromTheRightThatIsNoTrustedProxy() throws {
        let proxies = try TrustedProxies.parse("10.0.0.0/8, 192.0.2.7, fd00::/8").get()
        // No trusted proxies: the header is ignored, whatever it says.
        #expect(TrustedProxies().clientAddress(peer: "198.51.100.1", forwardedFor: ["203.0.113.9"]) == "198.51.100.1")
        // From an untrusted peer: the header is ignored.
        #expect(proxies.clientAddress(peer: "198.51.100.1", forwardedFor: ["203.0.113.9"]) == "198.51.100.1")
        // One trusted proxy: the address it appended.
        #expect(proxies.clientAddress(peer: "192.0.2.7", forwardedFor: ["203.0.113.9"]) == "203.0.113.9")
        // A spoofed entry to the left of what the proxies appended is not believed.
        #expect(proxies.clientAddress(peer: "10.1.2.3", forwardedFor: ["6.6.6.6, 203.0.113.9", "10.9.9.9"]) == "203.0.113.9")
        // IPv6 proxies and clients; an IPv4-mapped peer is the IPv4 address.
        #expect(proxies.clientAddress(peer: "fd00::1", forwardedFor: ["2001:db8::5"]) == "2001:db8::5")
        #expect(proxies.clientAddress(peer: "::ffff:192.0.2.7", forwardedFor: ["203.0.113.9"]) == "203.0.113.9")
        #expect(proxies.clientAddress(peer: "::ffff:198.51.100.1", forwardedFor: []) == "198.51.100.1")
        // Junk where an address should be, from a trusted hop: the client is that hop, never the junk.
        #expect(proxies.clientAddress(peer: "10.1.2.3", forwardedFor: ["203.0.113.9, unknown"]) == "10.1.2.3")
        #expect(proxies.clientAddress(peer: "10.1.2.3", forwardedFor: ["<script>"]) == "10.1.2.3")
        // Every hop trusted: the leftmost.
        #expect(proxies.clientAddress(peer: "10.1.2.3", forwardedFor: ["10.4.4.4"]) == "10.4.4.4")
        // Networks: edges of a prefix.
        let net = try #require(TrustedProxies.Network("172.16.0.0/12"))
        #expect(TrustedProxies(try [#require(TrustedProxies.Network("172.16.0.0/12"))]).trusts("172.31.255.255"))
        #expect(!TrustedProxies([net]).trusts("172.32.0.0") && !TrustedProxies([net]).trusts("172.15.255.255"))
        #expect(TrustedProxies([try #require(TrustedProxies.Network("0.0.0.0/0"))]).trusts("8.8.8.8"))
        for bad in ["10.0.0.0/33", "fd00::/129", "10.0.0", "example.com", "10.0.0.0/", "10.0.0.0/x", "1.2.3.4/8/9"] {
            #expect(TrustedProxies.Network(bad) == nil, "\(bad)")
        }
    }

    @Test func aBadSettingStopsTheProcessAndNamesTheEntry() throws {
        do {
            _ = try FilestoreConfiguration.load(environment: FilestoreConfiguration.provider(["FILESTORE_TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"]))
            Issue.record("a host name loaded as a trusted proxy")
        } catch let error as ConfigurationError {
            #expect(error.variable == "FILESTORE_TRUSTED_PROXIES" && error.message.contains("proxy.internal"), "\(error)")
        }
        let loaded = try FilestoreConfiguration.load(environment: FilestoreConfiguration.provider(["FILESTORE_TRUSTED_PROXIES": "10.0.0.0/8, ::1"]))
        #expect(loaded.http.apiConfiguration.trustedProxies.networks.map(\.description) == ["10.0.0.0/8", "::1"])
    }

    /// Junk bearer tokens through a live listener on loopback: failures are charged per client.
    func junk(_ client: some TestClientProtocol, forwardedFor: String?) async throws -> Int {
        var headers: HTTPFields = [.authorization: "Bearer junk"]
        if let forwardedFor { headers[HTTPField.Name("X-Forwarded-For")!] = forwardedFor }
        return try await client.execute(uri: "/v1/files", method: .get, headers: headers) { Int($0.status.code) }
    }

    @Test func behindATrustedProxyEachClientHasItsOwnFailureBudget() async throws {
        var configuration = APIConfiguration()
        configuration.trustedProxies = try TrustedProxies.parse("127.0.0.1, ::1").get()
        let limiter = RateLimiter(limits: [.unauthenticated: .init(perSecond: 0.01, burst: 3)])
        try await APIHarness.with(configuration: configuration, limiter: limiter, testing: .live) { h, client in
            var first: [Int] = []
            for _ in 0..<5 { first.append(try await junk(client, forwardedFor: "203.0.113.5")) }
            #expect(first == [401, 401, 401, 429, 429], "\(first)")
            // Another client behind the same proxy is not locked out by the first.
            #expect(try await junk(client, forwardedFor: "203.0.113.6") == 401)
            // The proxy's own requests (no header) have their own budget too.
            #expect(try await junk(client, forwardedFor: nil) == 401)
            // A valid token from the limited client still works.
            let ok = try await client.execute(uri: "/v1/files", method: .get,
                                              headers: h.headers(try await h.token(), tenant: nil, [HTTPField.Name("X-Forwarded-For")!: "203.0.113.5"])) { $0.status }
            #expect(ok == .ok)
        }
    }

    @Test func withoutTrustedProxiesAForgedHeaderBuysNoFreshBudget() async throws {
        let limiter = RateLimiter(limits: [.unauthenticated: .init(perSecond: 0.01, burst: 3)])
        try await APIHarness.with(limiter: limiter, testing: .live) { _, client in
            var statuses: [Int] = []
            for i in 0..<5 { statuses.append(try await junk(client, forwardedFor: "198.51.100.\(i)")) }
            #expect(statuses == [401, 401, 401, 429, 429], "\(statuses)")
        }
    }
}
