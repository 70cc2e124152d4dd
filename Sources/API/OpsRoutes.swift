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

    /// Adds the routes to `router` (recording them in `table`), `/metrics` behind mutual TLS when
    /// `metricsClients` lists the certificate subjects allowed to read it (``ClientCertificateMiddleware``).
    public func add<Context: ConnectionRequestContext>(to router: Router<Context>, table: RouteTable = RouteTable(), metricsClients: [String]) {
        addHealth(to: router, table: table)
        let group = router.group()
        if !metricsClients.isEmpty { group.add(middleware: ClientCertificateMiddleware<Context>(allowedSubjects: metricsClients)) }
        table.on(group, prefix: "", "metrics", .get) { request, context in try await self.metricsHandler(request, context) }
    }

    /// Adds the routes to `router` (recording them in `table`).
    public func add<Context: RequestContext>(to router: Router<Context>, table: RouteTable = RouteTable()) {
        addHealth(to: router, table: table)
        table.on(router, "metrics", .get) { request, context in try await self.metricsHandler(request, context) }
    }

    private func addHealth<Context: RequestContext>(to router: Router<Context>, table: RouteTable) {
        table.on(router, "healthz", .get) { _, _ in "ok\n" }
        table.on(router, "readyz", .get) { _, _ -> Response in
            if let reason = await readiness() {
                return Response(status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: "not ready: \(reason)\n")))
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
        }
    }

    private func metricsHandler<Context: RequestContext>(_: Request, _: Context) async throws -> Response {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
}
