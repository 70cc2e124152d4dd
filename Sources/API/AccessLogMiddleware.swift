import Hummingbird
import Logging
import Synchronization

/// One access-log line per request at `info`, written once the response body has gone out: `request_id`,
/// `method`, `route` (the matched pattern, `unmatched` for none), `path` (credentials in the query redacted:
/// ``redactedQueryNames``), `status`, `bytes` (the body's declared length; `-` when streamed without one),
/// `duration_ms`, `tenant_id` (once a credential named it) and `client` (``RateLimiter/clientAddress(_:)``).
///
/// It replaces Hummingbird's `LogRequestsMiddleware`, which logs the raw URI — a signed URL's `sig` with it,
/// a credential anyone could replay until the URL expires.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = FileRequestContext
    /// The access log's own logger (the framework's request logger stays at `warning`).
    let logger: Logger

    /// Query parameters whose values never reach a log line.
    static let redactedQueryNames: Set<String> = ["sig", "signature", "token", "access_token", "x-amz-signature", "x-amz-credential"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        let facts = RequestFacts()
        context.facts = facts
        let logger = self.logger
        let requestID = context.id
        let method = request.method.rawValue
        let path = Self.redact(request.uri.path, query: request.uri.query)
        do {
            var response = try await next(request, context)
            let status = response.status.code
            let length = response.body.contentLength
            let route = context.endpointPath
            let client = RateLimiter.clientAddress(context)
            let body = response.body
            response.body = ResponseBody(contentLength: length) { writer in
                defer {
                    Self.log(logger, requestID: requestID, method: method, route: route, path: path, status: status, bytes: length, start: start,
                             tenant: facts.tenant, client: client)
                }
                try await body.write(writer)
            }
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            Self.log(logger, requestID: requestID, method: method, route: context.endpointPath, path: path, status: status, bytes: nil, start: start,
                     tenant: facts.tenant, client: RateLimiter.clientAddress(context))
            throw error
        }
    }

    static func log(_ logger: Logger, requestID: String, method: String, route: String?, path: String, status: Int, bytes: Int?, start: ContinuousClock.Instant,
                    tenant: String?, client: String) {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "request_id": .string(requestID), "method": .string(method), "route": .string(route ?? "unmatched"), "path": .string(path), "status": .stringConvertible(status),
            "bytes": .string(bytes.map(String.init) ?? "-"), "duration_ms": .string(String(format: "%.3f", ms)),
        ]
        if let tenant { metadata["tenant_id"] = .string(tenant) }
        metadata["client"] = .string(client)
        logger.info("request", metadata: metadata)
    }

    /// `path?query` with the values of ``redactedQueryNames`` replaced by `REDACTED`.
    static func redact(_ path: String, query: String?) -> String {
        guard let query, !query.isEmpty else { return path }
        let parts = query.split(separator: "&", omittingEmptySubsequences: false).map { part -> String in
            let name = part.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return redactedQueryNames.contains(name.lowercased()) ? "\(name)=REDACTED" : String(part)
        }
        return path + "?" + parts.joined(separator: "&")
    }
}

/// What a request's inner middleware learn that its access-log line reports (the context is a value, so
/// they write here, to the one instance the access log holds).
final class RequestFacts: Sendable {
    private let state = Mutex<String?>(nil)
    /// The tenant a verified credential named.
    var tenant: String? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
