import Domain
import Foundation
import HTTPTypes
import Hummingbird
import JobKit
import Synchronization

/// Per-tenant, per-endpoint-class token buckets. Limits hold per API process (N replicas admit up to N×);
/// `docs/API_CONTRACTS.md` has the table. Over the limit: 429 `RATE_LIMITED` with `Retry-After`.
public final class RateLimiter: Sendable {
    /// Endpoint classes with their own budgets.
    public enum EndpointClass: String, Sendable, CaseIterable {
        case upload, read, download, manage
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

    /// Defaults: upload 20/s (burst 40), read 100/s (200), download 200/s (400), manage 20/s (40).
    public static let defaultLimits: [EndpointClass: Limit] = [
        .upload: Limit(perSecond: 20, burst: 40), .read: Limit(perSecond: 100, burst: 200),
        .download: Limit(perSecond: 200, burst: 400), .manage: Limit(perSecond: 20, burst: 40),
    ]

    private struct Bucket { var tokens: Double; var updated: ContinuousClock.Instant }
    private let limits: [EndpointClass: Limit]
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    public init(limits: [EndpointClass: Limit] = RateLimiter.defaultLimits) {
        self.limits = limits
    }

    /// Takes one token for `tenant` on `endpoint`, or throws `RATE_LIMITED` with the seconds to wait.
    public func admit(tenant: String, _ endpoint: EndpointClass) throws {
        guard let limit = limits[endpoint] else { return }
        let now = clock.now
        let key = "\(tenant)\u{0}\(endpoint.rawValue)"
        let wait: Double? = buckets.withLock { buckets in
            var b = buckets[key] ?? Bucket(tokens: limit.burst, updated: now)
            b.tokens = min(limit.burst, b.tokens + (now - b.updated).seconds * limit.perSecond)
            b.updated = now
            defer { buckets[key] = b }
            if b.tokens >= 1 { b.tokens -= 1; return nil }
            return (1 - b.tokens) / limit.perSecond
        }
        if let wait { throw RateLimited(retryAfter: max(1, Int(wait.rounded(.up)))) }
        if buckets.withLock({ $0.count }) > 100_000 { buckets.withLock { $0.removeAll() } } // bound memory
    }

    /// The class of a request, by route.
    static func endpointClass(_ request: Request) -> EndpointClass {
        let path = request.uri.path
        if path.hasPrefix("/v1/download/") || path.hasSuffix("/content") { return .download }
        if request.method == .post && path == "/v1/files" { return .upload }
        if request.method == .get || request.method == .head { return .read }
        return .manage
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

/// Applies the limiter after authentication (per tenant) — or, for signed downloads, per URL tenant.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = FileRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let tenant = context.identity?.tenant.value
            ?? request.uri.path.split(separator: "/").dropFirst(2).first.map(String.init) ?? "-"
        try limiter.admit(tenant: tenant, RateLimiter.endpointClass(request))
        return try await next(request, context)
    }
}
