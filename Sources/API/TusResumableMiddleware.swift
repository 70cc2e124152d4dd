import Hummingbird

/// Puts `Tus-Resumable` on every error answer of the tus routes (their successes set it themselves).
struct TusResumableMiddleware: RouterMiddleware {
    typealias Context = FileRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any EnvelopedError {
            var response = try error.response(from: request, context: context)
            response.headers[.tusResumable] = TusRoutes.version
            return response
        }
    }
}
