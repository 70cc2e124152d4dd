import Hummingbird
import JobKit
import Logging
import Prometheus

/// The operational endpoints every filestore process serves: `/healthz` (the process is alive),
/// `/readyz` (the database answers and its schema is current) and `/metrics` (Prometheus text).
public struct OpsRoutes: Sendable {
    /// Returns `nil` when ready, else the reason it is not.
    public typealias ReadinessCheck = @Sendable () async -> String?

    public let registry: PrometheusCollectorRegistry
    public let readiness: ReadinessCheck

    public init(registry: PrometheusCollectorRegistry, readiness: @escaping ReadinessCheck) {
        self.registry = registry
        self.readiness = readiness
    }

    /// Adds the routes to `router` (recording them in `table`).
    public func add<Context: RequestContext>(to router: Router<Context>, table: RouteTable = RouteTable()) {
        table.on(router, "healthz", .get) { _, _ in "ok\n" }
        table.on(router, "readyz", .get) { _, _ -> Response in
            if let reason = await readiness() {
                return Response(status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: "not ready: \(reason)\n")))
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
        }
        table.on(router, "metrics", .get) { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
