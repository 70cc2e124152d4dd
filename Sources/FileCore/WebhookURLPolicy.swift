import Domain
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Which webhook URLs are accepted and which addresses a delivery may reach (SSRF): https only, and no
/// loopback, private, link-local, carrier-grade NAT, multicast, reserved or cloud-metadata address — unless
/// ``allowPrivate`` (development, tests). The URL is checked when an endpoint is created or changed, and its
/// host's addresses again before every attempt, after DNS resolution.
public struct WebhookURLPolicy: Sendable {
    public var allowPrivate: Bool

    public init(allowPrivate: Bool) { self.allowPrivate = allowPrivate }

    /// The URL's host and port, or `WEBHOOK_URL_REFUSED` naming the rule it breaks.
    public func validate(_ text: String) throws -> (host: String, port: Int) {
        guard text.utf8.count <= 2048, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              let host = url.host, !host.isEmpty else {
            throw FileError(.webhookURLRefused, "url must be an absolute http(s) URL of at most 2048 bytes")
        }
        guard scheme == "https" || (scheme == "http" && allowPrivate) else {
            throw FileError(.webhookURLRefused, "url must use https")
        }
        guard url.user == nil, url.password == nil else {
            throw FileError(.webhookURLRefused, "url must not carry credentials")
        }
        var bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        while bare.hasSuffix(".") { bare.removeLast() }
        if !allowPrivate, let bytes = Self.parseLiteral(bare), Self.isForbidden(bytes) {
            throw FileError(.webhookURLRefused, "url names a loopback, private, link-local or metadata address")
        }
        if !allowPrivate, ["localhost", "metadata.google.internal"].contains(bare.lowercased()) || bare.lowercased().hasSuffix(".localhost") {
            throw FileError(.webhookURLRefused, "url names a local host")
        }
        return (bare, url.port ?? (scheme == "https" ? 443 : 80))
    }

    /// Resolves the URL's host (on NIO's blocking-I/O thread pool, never the concurrency pool) and refuses it when
    /// any address is forbidden or none resolves.
    public func checkResolved(_ text: String) async throws {
        let (host, port) = try validate(text)
        if allowPrivate { return }
        let addresses = try await Self.resolve(host: host, port: port)
        guard !addresses.isEmpty else { throw FileError(.webhookURLRefused, "host '\(host)' does not resolve") }
        if addresses.contains(where: Self.isForbidden) {
            throw FileError(.webhookURLRefused, "host '\(host)' resolves to a loopback, private, link-local or metadata address")
        }
    }

    /// The addresses (4 or 16 bytes each) of `host`.
    static func resolve(host: String, port: Int) async throws -> [[UInt8]] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &result) == 0 else { return [] }
            defer { freeaddrinfo(result) }
            var out: [[UInt8]] = []
            var p = result
            while let ai = p {
                if ai.pointee.ai_family == AF_INET, let sa = ai.pointee.ai_addr {
                    var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    out.append(withUnsafeBytes(of: &a) { Array($0) })
                } else if ai.pointee.ai_family == AF_INET6, let sa = ai.pointee.ai_addr {
                    var a = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    out.append(withUnsafeBytes(of: &a) { Array($0) })
                }
                p = ai.pointee.ai_next
            }
            return out
        }
    }

    /// The bytes of an IPv4 or IPv6 literal, or `nil` when `text` is not one.
    public static func parseLiteral(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// Whether a delivery must not reach this address (4 or 16 bytes).
    public static func isForbidden(_ a: [UInt8]) -> Bool {
        if a.count == 4 {
            let (b0, b1) = (a[0], a[1])
            return b0 == 0 || b0 == 10 || b0 == 127 || (b0 == 100 && (b1 & 0xC0) == 64) || (b0 == 169 && b1 == 254)
                || (b0 == 172 && (b1 & 0xF0) == 16) || (b0 == 192 && b1 == 168) || (b0 == 192 && b1 == 0 && a[2] == 0)
                || (b0 == 198 && (b1 & 0xFE) == 18) || b0 >= 224
        }
        guard a.count == 16 else { return true }
        if a.allSatisfy({ $0 == 0 }) { return true }                                   // ::
        if a[0..<15].allSatisfy({ $0 == 0 }) && a[15] == 1 { return true }             // ::1
        if a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xFF && a[11] == 0xFF { return isForbidden(Array(a[12..<16])) } // ::ffff:v4
        if a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B { return isForbidden(Array(a[12..<16])) }  // 64:ff9b::/96
        if (a[0] & 0xFE) == 0xFC { return true }                                      // fc00::/7 (incl. fd00:ec2::254)
        if a[0] == 0xFE && (a[1] & 0xC0) == 0x80 { return true }                      // fe80::/10
        if a[0] == 0xFF { return true }                                               // multicast
        if a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8 { return true } // documentation
        return false
    }
}
