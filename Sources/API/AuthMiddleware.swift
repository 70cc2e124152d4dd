import Domain
import HTTPTypes
import Hummingbird

/// Verifies the bearer token, checks that `X-Tenant-Id` (when sent) names the token's tenant, and puts the
/// identity in the context. 401 `UNAUTHENTICATED` and 403 `TENANT_MISMATCH` are distinct.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = FileRequestContext
    let keys: TokenKeys

    public init(keys: TokenKeys) { self.keys = keys }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw FileError(.unauthenticated, "missing bearer token")
        }
        let identity = try await keys.verify(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        if let tenantHeader = request.headers[.tenantID], tenantHeader != identity.tenant.value {
            throw FileError(.tenantMismatch, "X-Tenant-Id '\(tenantHeader.prefix(64))' does not match the token's tenant")
        }
        var context = context
        context.identity = identity
        context.logger[metadataKey: "tenant_id"] = "\(identity.tenant.value)"
        context.facts?.tenant = identity.tenant.value
        return try await next(request, context)
    }
}
