import API
import FileCore
import Foundation
import Prometheus
import Storage
import TestSupport
import Testing

@Suite struct OpenAPITests {
    /// The (method, path) pairs of `openapi/v1.yaml`, read with a small scanner of its `paths:` block.
    static func documentedRoutes() throws -> Set<RouteDescription> {
        let text = try String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("openapi/v1.yaml"), encoding: .utf8)
        var routes = Set<RouteDescription>(), inPaths = false, path: String?
        let methods = ["get", "put", "post", "delete", "patch", "head", "options"]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init) ?? ""
                if methods.contains(key) { routes.insert(RouteDescription(method: key.uppercased(), path: path)) }
            }
        }
        return routes
    }

    @Test func everyServedRouteIsDocumentedAndEveryDocumentedRouteIsServed() async throws {
        let table = RouteTable()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        try await TestDatabase.withClient(TestDatabase.server) { postgres in
            let core = FileCore(database: TenantDatabase(postgres: postgres, logger: TestDatabase.logger), blobs: try LocalBlobStore(root: root))
            _ = makeFileAPIRouter(core: core, keys: try await TokenKeys([("k", String(repeating: "k", count: 32))]),
                                  signer: try URLSigner(keys: [("u", String(repeating: "u", count: 32))]),
                                  ops: OpsRoutes(registry: PrometheusCollectorRegistry(), readiness: { nil }), table: table)
        }
        let served = Set(table.routes)
        // The SRE console's /admin/api is served by the Console target's routes (ConsoleOpenAPITests).
        let documented = try Self.documentedRoutes().filter { !$0.path.hasPrefix("/admin/") }
        #expect(served.count >= 13)
        #expect(served.subtracting(documented).sorted() == [], "served but not in openapi/v1.yaml")
        #expect(documented.subtracting(served).sorted() == [], "in openapi/v1.yaml but not served")
    }
}
