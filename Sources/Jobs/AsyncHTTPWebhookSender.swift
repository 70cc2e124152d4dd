import AsyncHTTPClient
import FileCore
import Foundation
import NIOCore

/// The relay's HTTP client (AsyncHTTPClient): follows no redirect (a 3xx is a failed attempt), sends no
/// cookies, and refuses, right after connecting, any connection whose peer address is loopback, private,
/// link-local or metadata (``WebhookURLPolicy/isForbidden(_:)``) unless private addresses are allowed — the
/// check at connect time, after the one after DNS resolution. Call ``shutdown()`` before the process ends.
public final class AsyncHTTPWebhookSender: WebhookSender {
    let client: HTTPClient
    let responsePrefixBytes: Int

    /// `connectionsPerHost`: keep-alive connections kept per receiver host, as many as a relay run has attempts in
    /// flight (``WebhookConfiguration/concurrency``), so no attempt waits for a connection. Default: 32.
    public init(allowPrivate: Bool, timeout: Duration = .seconds(15), responsePrefixBytes: Int = 256, connectionsPerHost: Int = 32) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(5), read: Self.amount(timeout)))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, connectionsPerHost))
        configuration.httpVersion = .http1Only
        if !allowPrivate {
            let check: @Sendable (Channel) -> EventLoopFuture<Void> = { channel in
                guard let peer = channel.remoteAddress, let bytes = Self.addressBytes(peer), !WebhookURLPolicy.isForbidden(bytes) else {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(ForbiddenPeer(address: "\(channel.remoteAddress.map { "\($0)" } ?? "unknown")"))
                }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            configuration.http1_1ConnectionDebugInitializer = check
            configuration.http2ConnectionDebugInitializer = check
        }
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.responsePrefixBytes = responsePrefixBytes
    }

    struct ForbiddenPeer: Error, CustomStringConvertible {
        var address: String
        var description: String { "connected peer \(address) is a loopback, private, link-local or metadata address" }
    }

    public func shutdown() async throws { try await client.shutdown() }

    public func send(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: Self.amount(timeout))
            var prefix: [UInt8] = []
            for try await chunk in response.body {
                prefix += chunk.readableBytesView.prefix(max(0, responsePrefixBytes - prefix.count))
                if prefix.count >= responsePrefixBytes { break }
            }
            let retryAfter = response.headers.first(name: "retry-after").flatMap { Self.retryAfter($0) }
            return WebhookResponse(status: Int(response.status.code), retryAfter: retryAfter,
                                   bodyPrefix: String(decoding: prefix, as: UTF8.self))
        } catch {
            return WebhookResponse(status: nil, error: "\(error)")
        }
    }

    /// `Retry-After` as seconds: delta-seconds or an HTTP date.
    static func retryAfter(_ text: String) -> TimeInterval? {
        if let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds >= 0 { return seconds }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: text).map { max(0, $0.timeIntervalSinceNow) }
    }

    static func amount(_ d: Duration) -> TimeAmount {
        .nanoseconds(Int64(d.components.seconds) * 1_000_000_000 + Int64(d.components.attoseconds / 1_000_000_000))
    }

    static func addressBytes(_ address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let a):
            var addr = a.address.sin_addr
            return withUnsafeBytes(of: &addr) { Array($0) }
        case .v6(let a):
            var addr = a.address.sin6_addr
            return withUnsafeBytes(of: &addr) { Array($0) }
        default:
            return nil
        }
    }
}
