import HTTPTypes
import Hummingbird
import Synchronization

/// A route as documented: method and OpenAPI path (`/v1/files/{id}`).
public struct RouteDescription: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var method: String
    public var path: String
    public init(method: String, path: String) {
        self.method = method
        self.path = path
    }
    public static func < (a: Self, b: Self) -> Bool { (a.path, a.method) < (b.path, b.method) }
    public var description: String { "\(method) \(path)" }
}

/// Records every route as it is registered, so a test can compare what the server serves with
/// `openapi/v1.yaml` in both directions.
public final class RouteTable: Sendable {
    private let entries = Mutex<Set<RouteDescription>>([])

    public init() {}

    /// Everything registered so far, sorted.
    public var routes: [RouteDescription] { entries.withLock { $0.sorted() } }

    func record(_ method: HTTPRequest.Method, _ prefix: String, _ path: String) {
        let segments = (prefix + "/" + path).split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
        entries.withLock { _ = $0.insert(RouteDescription(method: method.rawValue, path: "/" + segments.joined(separator: "/"))) }
    }

    /// Registers `handler` on `group` (under `prefix`) and records it.
    func on<Context: RequestContext, Output: ResponseGenerator>(
        _ group: RouterGroup<Context>, prefix: String, _ path: String, _ method: HTTPRequest.Method,
        _ handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        record(method, prefix, path)
        group.on(RouterPath(path), method: method, use: handler)
    }

    /// Registers `handler` on `router` and records it.
    func on<Context: RequestContext, Output: ResponseGenerator>(
        _ router: Router<Context>, _ path: String, _ method: HTTPRequest.Method,
        _ handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        record(method, "", path)
        router.on(RouterPath(path), method: method, use: handler)
    }
}
