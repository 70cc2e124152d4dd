import HTTPTypes
import Hummingbird

/// Sets ``FileRequestContext/clientAddress`` from the socket's peer and, when the peer is a trusted proxy, from
/// `X-Forwarded-For` (``TrustedProxies``). Runs first, so every later middleware (the per-client failure budget,
/// unauthenticated rate limits, the access log) sees the same client. Only installed with trusted proxies.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = FileRequestContext
    let trusted: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = trusted.clientAddress(peer: context.remoteAddress?.ipAddress, forwardedFor: request.headers[values: .xForwardedFor])
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    /// `X-Forwarded-For` (de facto standard; RFC 7239 `Forwarded` is its successor).
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
