import Domain
import Foundation
import HTTPTypes
import Hummingbird
import JobKit
import NIOCore
import Synchronization

/// Per-tenant, per-endpoint-class token buckets, and per-client buckets for requests that fail authentication.
/// Limits hold per API process (N replicas admit up to N×); `docs/API_CONTRACTS.md` has the table. Over the
/// limit: 429 `RATE_LIMITED` with `Retry-After`.
///
/// A tenant's budget is only spent by requests that proved they act for it (a verified token or signed URL):
/// requests that fail authentication or a signature check are charged to the client's address under
/// ``EndpointClass/unauthenticated``, so nobody can spend a tenant's budget without its credentials.
public final class RateLimiter: Sendable {
    /// Endpoint classes with their own budgets.
    public enum EndpointClass: String, Sendable, CaseIterable {
        case upload, read, download, manage
        /// Requests that failed authentication or a signature check, per client address.
        case unauthenticated
    }

    /// A bucket's refill rate (requests per second) and burst.
    public struct Limit: Sendable, Hashable {
        public var perSecond: Double
        public var burst: Double
        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    /// Defaults: upload 20/s (burst 40), read 100/s (200), download 200/s (400), manage 20/s (40);
    /// unauthenticated 1/s (burst 20) per client address.
    public static let defaultLimits: [EndpointClass: Limit] = [
        .upload: Limit(perSecond: 20, burst: 40), .read: Limit(perSecond: 100, burst: 200),
        .download: Limit(perSecond: 200, burst: 400), .manage: Limit(perSecond: 20, burst: 40),
        .unauthenticated: Limit(perSecond: 1, burst: 20),
    ]

    private let limits: [EndpointClass: Limit]
    private let buckets: Mutex<TokenBuckets>
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    /// `capacity`: the most buckets held at once (default 100,000; see ``TokenBuckets``).
    public init(limits: [EndpointClass: Limit] = RateLimiter.defaultLimits, capacity: Int = 100_000) {
        self.limits = limits
        self.buckets = Mutex(TokenBuckets(capacity: capacity))
        self.start = clock.now
    }

    private var now: Double { (clock.now - start).seconds }

    /// How many buckets are held (for tests and metrics).
    public var bucketCount: Int { buckets.withLock { $0.count } }

    /// Takes one token for `tenant` on `endpoint`, or throws `RATE_LIMITED` with the seconds to wait.
    public func admit(tenant: String, _ endpoint: EndpointClass) throws {
        try take("t\u{0}\(tenant)\u{0}\(endpoint.rawValue)", endpoint)
    }

    /// Takes one token for the client at address `client` on `endpoint` (requests that carry no credentials).
    public func admit(client: String, _ endpoint: EndpointClass) throws {
        try take("c\u{0}\(client)\u{0}\(endpoint.rawValue)", endpoint)
    }

    /// Charges a failed authentication or signature check to `client` (its address); throws `RATE_LIMITED`
    /// once the client has spent its ``EndpointClass/unauthenticated`` budget.
    public func chargeFailure(client: String) throws {
        try take("f\u{0}\(client)", .unauthenticated)
    }

    private func take(_ key: String, _ endpoint: EndpointClass) throws {
        guard let limit = limits[endpoint] else { return }
        let now = self.now
        let action = buckets.withLock { $0.take(key, limit: limit, now: now) }
        if case .refuse(let wait) = action {
            APIMetrics.rateLimited(endpoint)
            throw RateLimited(retryAfter: max(1, Int(wait.rounded(.up))))
        }
    }

    /// The class of a request, by route.
    static func endpointClass(_ request: Request) -> EndpointClass {
        let path = request.uri.path
        if path.hasPrefix("/v1/download/") || path.hasSuffix("/content") { return .download }
        if request.method == .post && path == "/v1/files" { return .upload }
        if request.method == .get || request.method == .head { return .read }
        return .manage
    }

    /// Whether `error` is a failed authentication or signature check.
    static func isAuthenticationFailure(_ error: any Error) -> Bool {
        guard let error = error as? FileError else { return false }
        return [.unauthenticated, .signatureInvalid, .urlExpired, .urlRevoked].contains(error.code)
    }

    /// The address a request came from (``FileRequestContext/clientAddress``; `unknown` when the transport has
    /// none, as in router tests).
    static func clientAddress(_ context: FileRequestContext) -> String {
        context.clientAddress ?? context.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// 429 with `Retry-After`.
struct RateLimited: EnvelopedError {
    var retryAfter: Int
    var status: HTTPResponse.Status { .tooManyRequests }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = ErrorEnvelope.response(FileError(.rateLimited, "rate limit reached; retry in \(retryAfter) s"), requestID: context.id)
        response.headers[.retryAfter] = String(retryAfter)
        return response
    }
}

/// Charges the tenant of the verified identity (set by ``AuthMiddleware``, which runs first). Requests
/// without an identity (tus `OPTIONS`) are charged to the client's address under the class of their route.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = FileRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let endpoint = RateLimiter.endpointClass(request)
        if let identity = context.identity {
            try limiter.admit(tenant: identity.tenant.value, endpoint)
        } else {
            try limiter.admit(client: RateLimiter.clientAddress(context), endpoint)
        }
        return try await next(request, context)
    }
}

/// Goes before authentication: a request that fails it (or a signed URL's check) is charged to the client's
/// address, and answers 429 instead of 401/403 once the client has spent its failure budget. Valid requests
/// from the same address are never refused for it (clients behind one NAT or proxy are not locked out by one
/// of them); checking a token or signature costs an HMAC and no database access.
struct AuthFailureLimitMiddleware: RouterMiddleware {
    typealias Context = FileRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch where RateLimiter.isAuthenticationFailure(error) {
            try limiter.chargeFailure(client: RateLimiter.clientAddress(context))
            throw error
        }
    }
}
