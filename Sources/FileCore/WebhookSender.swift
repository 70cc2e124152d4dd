import Foundation

/// One HTTP POST of a webhook delivery. The relay's transport; the product's is AsyncHTTPClient
/// (`Jobs/AsyncHTTPWebhookSender`), which follows no redirect.
public protocol WebhookSender: Sendable {
    /// Posts `body` with `headers` to `url`; never throws: a transport failure is a response without a status.
    func send(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> WebhookResponse
}

/// What an attempt got back.
public struct WebhookResponse: Sendable, Hashable {
    /// The HTTP status, or `nil` when no response arrived (refused, timed out, TLS failure…).
    public var status: Int?
    /// `Retry-After` in seconds, when the receiver sent one (429, 503).
    public var retryAfter: TimeInterval?
    /// The first bytes of the response body, as text.
    public var bodyPrefix: String?
    /// Why no response arrived.
    public var error: String?

    public init(status: Int?, retryAfter: TimeInterval? = nil, bodyPrefix: String? = nil, error: String? = nil) {
        self.status = status
        self.retryAfter = retryAfter
        self.bodyPrefix = bodyPrefix
        self.error = error
    }
}
