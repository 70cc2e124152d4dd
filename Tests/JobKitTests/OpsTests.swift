import TestSupport
import API
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import JobKit
import Metrics
import Prometheus
import Testing

@Suite struct OpsTests {
    @Test func healthReadinessAndMetrics() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "jobkit_test_total").increment()
        let ready = ReadyFlag()
        let router = Router()
        OpsRoutes(registry: registry, readiness: { ready.value ? nil : "database unreachable" }).add(to: router)
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("database unreachable"))
            }
            ready.value = true
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("jobkit_test_total 1"))
            }
        }
    }

    @Test func theSchemaVersionThisBuildNeedsMatchesTheMigrationsFolder() throws {
        let files = try TestDatabase.migrations()
        let source = try String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("Sources/filestore/Filestore.swift"), encoding: .utf8)
        #expect(source.contains("static let requiredVersion = \(files.last!.version)"))
        // Increasing and unique; gaps are allowed (migration numbers are reserved per issue and land in any order).
        #expect(files.map(\.version) == Array(Set(files.map(\.version))).sorted() && files.first?.version == 1)
    }
}

final class ReadyFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var _value = false
    var value: Bool {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
