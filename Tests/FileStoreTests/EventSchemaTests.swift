import Domain
import Foundation
import PostgresNIO
import Storage
import TestSupport
import Testing

@Suite struct EventSchemaTests {
    static let dir = TestDatabase.repositoryRoot.appendingPathComponent("events/file-storage")

    static func schema(_ topic: String) throws -> [String: Any] {
        let data = try Data(contentsOf: dir.appendingPathComponent("\(topic).json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Checks the parts of the schema that matter for consumers: required keys, no unknown keys, constants.
    static func check(_ payload: [String: Any], against schema: [String: Any]) -> [String] {
        var problems: [String] = []
        let properties = schema["properties"] as? [String: Any] ?? [:]
        for key in schema["required"] as? [String] ?? [] where payload[key] == nil || payload[key] is NSNull {
            problems.append("missing \(key)")
        }
        for key in payload.keys where properties[key] == nil { problems.append("unknown \(key)") }
        for (key, spec) in properties {
            if let c = (spec as? [String: Any])?["const"] as? String, let v = payload[key] as? String, v != c { problems.append("\(key) is \(v), not \(c)") }
            if let p = (spec as? [String: Any])?["pattern"] as? String, let v = payload[key] as? String, v.range(of: p, options: .regularExpression) == nil {
                problems.append("\(key) '\(v)' does not match \(p)")
            }
        }
        return problems
    }

    @Test func everyTopicTheCodeWritesHasASchemaAndARegistryLine() throws {
        let registry = try String(contentsOf: Self.dir.appendingPathComponent("REGISTRY.md"), encoding: .utf8)
        let topics = Set(FileState.allCases.compactMap(FileRepository.topic(for:)))
        #expect(topics.count == 7)
        for topic in topics {
            let schema = try Self.schema(topic)
            #expect(schema["title"] as? String == topic)
            #expect(registry.contains("| `\(topic)` |"), "\(topic) in REGISTRY.md")
        }
    }

    @Test func theOutboxPayloadOfAnUploadMatchesItsSchema() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let tenant = try TenantID("acme")
            let id = PrefixedID(.file)
            let file = FileRecord(id: id, tenant: tenant, state: .uploaded, objectKey: try ObjectKey(tenant: tenant, file: id),
                                  originalName: "a.txt", declaredType: nil, contentType: "text/plain", size: 5,
                                  sha256: String(repeating: "a", count: 64), urlGeneration: 1, createdAt: Date(), updatedAt: Date())
            let repo = FileRepository(logger: TestDatabase.logger)
            let payload: String = try await env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
                try await tx.query("SELECT set_config('app.tenant_id', 'acme', true)", logger: TestDatabase.logger)
                try await TenantRepository(logger: TestDatabase.logger).ensureTenant(tenant, on: tx)
                try await repo.insertUploaded(file, on: tx)
                try await repo.outbox(file, topic: "file.uploaded.v1", traceContext: nil, on: tx)
                var text = ""
                for try await p in try await tx.query("SELECT payload::text FROM outbox_events", logger: TestDatabase.logger).decode(String.self) { text = p }
                return text
            }
            let json = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] ?? [:]
            #expect(Self.check(json, against: try Self.schema("file.uploaded.v1")) == [])
            // And a payload with a stray key or a missing one is caught by the same check.
            var broken = json
            broken["extra"] = 1
            broken.removeValue(forKey: "file_id")
            #expect(Self.check(broken, against: try Self.schema("file.uploaded.v1")).count == 2)
        }
    }
}
