import Console
import Foundation
import Testing
import TestSupport

/// `openapi/v1.yaml` documents exactly the admin API the console serves, both ways.
@Suite struct ConsoleOpenAPITests {
    /// `METHOD /path` of the spec's `/admin/` paths, read with a small scanner of its `paths:` block.
    static func documented() throws -> Set<String> {
        let text = try String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("openapi/v1.yaml"), encoding: .utf8)
        var routes = Set<String>(), inPaths = false, path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()); continue }
            if line.hasPrefix("    "), !line.hasPrefix("     "), let path, path.hasPrefix("/admin/") {
                let key = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init) ?? ""
                if ["get", "post", "put", "patch", "delete"].contains(key) { routes.insert("\(key.uppercased()) \(path)") }
            }
        }
        return routes
    }

    @Test func everyAdminRouteIsDocumentedAndEveryDocumentedOneServed() async throws {
        try await ConsoleHarness.with { h, _ in
            let served = Set(h.console.documentedRoutes)
            let documented = try Self.documented()
            #expect(served.count >= 11)
            #expect(served.subtracting(documented).sorted() == [], "served but not in openapi/v1.yaml")
            #expect(documented.subtracting(served).sorted() == [], "in openapi/v1.yaml but not served")
        }
    }
}
