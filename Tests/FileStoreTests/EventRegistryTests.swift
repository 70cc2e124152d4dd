import FileCore
import Foundation
import TestSupport
import Testing

/// The compatibility rule of event schemas: against its last committed version, a schema may only gain optional
/// properties. Anything else (a property removed, retyped or newly required, a constant or pattern changed,
/// additional properties forbidden, the file removed) needs a new version (`.v2`).
enum SchemaCompatibility {
    static func strings(_ v: JSONValue?) -> Set<String> {
        guard case .array(let a)? = v else { return [] }
        return Set(a.compactMap(\.string))
    }

    static func breaks(old: JSONValue, new: JSONValue, path: String = "$") -> [String] {
        var out: [String] = []
        for key in ["type", "const", "enum", "pattern", "format", "minimum", "minLength", "maxLength"] where old[key] != new[key] {
            out.append("\(path): \(key) changed")
        }
        let oldRequired = strings(old["required"])
        let newRequired = strings(new["required"])
        for key in newRequired.subtracting(oldRequired).sorted() { out.append("\(path).\(key): newly required") }
        for key in oldRequired.subtracting(newRequired).sorted() { out.append("\(path).\(key): no longer required") }
        if old["additionalProperties"] != .bool(false) && new["additionalProperties"] == .bool(false) {
            out.append("\(path): additional properties newly forbidden")
        }
        if case .object(let oldProperties)? = old["properties"] {
            let newProperties: [String: JSONValue] = if case .object(let p)? = new["properties"] { p } else { [:] }
            for (key, oldSpec) in oldProperties.sorted(by: { $0.key < $1.key }) {
                guard let newSpec = newProperties[key] else { out.append("\(path).\(key): removed"); continue }
                out += breaks(old: oldSpec, new: newSpec, path: "\(path).\(key)")
            }
        }
        return out
    }

    /// The schema files as committed on `main` (topic → text), or `nil` when git or the branch is unavailable.
    static func committedOnMain() -> [String: String]? {
        let root = TestDatabase.repositoryRoot.path
        for ref in ["main", "origin/main"] {
            guard let (status, listing) = try? runTool("/usr/bin/git", ["-C", root, "ls-tree", "--name-only", "\(ref):events/file-storage"]),
                  status == 0 else { continue }
            var out: [String: String] = [:]
            for name in listing.split(separator: "\n") where name.hasSuffix(".json") {
                if let (s, text) = try? runTool("/usr/bin/git", ["-C", root, "show", "\(ref):events/file-storage/\(name)"]), s == 0 {
                    out[String(name.dropLast(5))] = text
                }
            }
            return out
        }
        return nil
    }
}

@Suite struct EventRegistryTests {
    static let dir = TestDatabase.repositoryRoot.appendingPathComponent("events/file-storage")

    static func schemaFiles() throws -> [String: String] {
        var out: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".json") {
            out[String(name.dropLast(5))] = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        }
        return out
    }

    /// The topics of REGISTRY.md's tables.
    static func registryTopics() throws -> Set<String> {
        let text = try String(contentsOf: dir.appendingPathComponent("REGISTRY.md"), encoding: .utf8)
        return Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.split(separator: "`")[1].description
        })
    }

    @Test func theCodesTopicsTheRegistryAndTheSchemasAgreeBothWays() throws {
        let code = EventTopics.emitted.union(EventTopics.consumed)
        #expect(try Self.registryTopics() == code)
        #expect(Set(try Self.schemaFiles().keys) == code)
        for (topic, text) in try Self.schemaFiles() {
            let schema = try #require(JSONValue.parse(Array(text.utf8)), "\(topic) parses")
            #expect(schema["title"]?.string == topic)
            _ = try JSONSchemaValidator(json: text)   // uses only keywords the validator checks
        }
        // The inbox validates against exactly the committed files.
        for topic in EventTopics.consumed {
            #expect(JSONValue.parse(Array((InboxSchemas.all[topic] ?? "").utf8)) == JSONValue.parse(Array(try Self.schemaFiles()[topic]!.utf8)),
                    "\(topic): Sources/FileCore/InboxSchemas.swift equals the committed schema")
        }
    }

    @Test func everySchemaIsCompatibleWithItsLastVersionOnMain() throws {
        guard let committed = SchemaCompatibility.committedOnMain() else {
            Issue.record("no main branch to compare with (git ls-tree main:events/file-storage failed)")
            return
        }
        let current = try Self.schemaFiles()
        for (topic, oldText) in committed {
            guard let newText = current[topic] else { Issue.record("\(topic) was removed: publish it until consumers move"); continue }
            let breaks = SchemaCompatibility.breaks(old: JSONValue.parse(Array(oldText.utf8))!, new: JSONValue.parse(Array(newText.utf8))!)
            #expect(breaks.isEmpty, "\(topic) breaks compatibility: \(breaks); make a .v2 instead")
        }
    }

    @Test func theCompatibilityCheckFailsOnBreakingChangesAndPassesAnOptionalAddition() throws {
        let old = JSONValue.parse(Array(try Self.schemaFiles()["file.ready.v1"]!.utf8))!
        func edited(_ body: (inout [String: JSONValue], inout [String: JSONValue]) -> Void) -> JSONValue {
            guard case .object(var top) = old, case .object(var props)? = top["properties"] else { return old }
            body(&top, &props)
            top["properties"] = .object(props)
            return .object(top)
        }
        #expect(SchemaCompatibility.breaks(old: old, new: old).isEmpty)
        let optional = edited { _, p in p["width"] = .object(["type": .array([.string("integer"), .string("null")])]) }
        #expect(SchemaCompatibility.breaks(old: old, new: optional).isEmpty)
        let removed = edited { _, p in p.removeValue(forKey: "sha256") }
        #expect(SchemaCompatibility.breaks(old: old, new: removed) == ["$.sha256: removed"])
        let retyped = edited { _, p in p["size"] = .object(["type": .string("string")]) }
        #expect(SchemaCompatibility.breaks(old: old, new: retyped).contains("$.size: type changed"))
        let required = edited { top, p in
            p["width"] = .object(["type": .string("integer")])
            if case .array(let r)? = top["required"] { top["required"] = .array(r + [.string("width")]) }
        }
        #expect(SchemaCompatibility.breaks(old: old, new: required) == ["$.width: newly required"])
        let constant = edited { _, p in p["state"] = .object(["const": .string("done")]) }
        #expect(SchemaCompatibility.breaks(old: old, new: constant) == ["$.state: const changed"])
    }

    @Test func theValidatorChecksWhatTheSchemasSay() throws {
        let v = try JSONSchemaValidator(json: InboxSchemas.all["tenant.plan_changed.v1"]!)
        func problems(_ json: String) -> [String] { v.problems(JSONValue.parse(Array(json.utf8))!) }
        #expect(problems(#"{"tenant_id": "acme", "plan": "pro", "quota_bytes": 1000, "quota_files": null}"#) == [])
        #expect(problems(#"{"tenant_id": "acme", "plan": "pro", "quota_bytes": 1000, "quota_files": null, "extra": true}"#) == [])
        #expect(problems(#"{"tenant_id": "ACME!", "plan": "pro", "quota_bytes": 1, "quota_files": 1}"#).count == 1)
        #expect(problems(#"{"tenant_id": "acme", "plan": "", "quota_bytes": -1, "quota_files": "many"}"#).count == 3)
        #expect(problems(#"{"tenant_id": "acme", "plan": "pro", "quota_bytes": true, "quota_files": 1}"#) == ["$.quota_bytes is boolean, not integer or null"])
        #expect(problems(#"{"plan": "pro"}"#).count == 3)
        #expect(problems(#"[]"#) == ["$ is array, not object"])
        let ready = try JSONSchemaValidator(json: try Self.schemaFiles()["file.ready.v1"]!)
        #expect(ready.problems(JSONValue.parse(Array(#"{"event_id": "evt_01JD2X00000000000000000000", "topic": "file.ready.v1", "occurred_at": "2026-12-02T10:00:00Z", "tenant_id": "acme", "file_id": "med_01JD2X00000000000000000000", "state": "ready", "stray": 1}"#.utf8))!)
                == ["$.stray is not allowed"])
        #expect(throws: JSONSchemaValidator.UnsupportedSchema.self) { try JSONSchemaValidator(json: #"{"type": "object", "oneOf": []}"#) }
    }
}
