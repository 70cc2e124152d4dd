import Domain
import FileCore
import Foundation

/// The rows read from the repository's files (docs, runbooks, event registry, alert rules, dashboards), each
/// compared with what the code itself declares. Blocking file reads: run through ``offPool(_:)``.
enum RepositoryChecks {
    /// Files that must exist (and not be empty): D1, A1, T6, DE1, CO3.
    static func files(_ env: ReadinessEnvironment, _ paths: [String]) -> CheckOutcome {
        var evidence: [String] = [], missing = false
        for path in paths {
            let url = env.file(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                missing = true
                evidence.append("\(path): missing in \(env.repository.path)")
                continue
            }
            if isDirectory.boolValue {
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
                missing = missing || entries.isEmpty
                evidence.append("\(path)/: \(entries.count) files")
            } else {
                let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
                missing = missing || size == 0
                evidence.append("\(path): \(size) bytes")
            }
        }
        return CheckOutcome(missing ? .fail : .pass, evidence)
    }

    /// D3: the codes of docs/ERROR_CODES.md are exactly the code's (`FileError.Code.all`).
    static func errorCodes(_ env: ReadinessEnvironment) -> CheckOutcome {
        guard let text = env.text("docs/ERROR_CODES.md") else { return .fail("docs/ERROR_CODES.md: missing") }
        let documented = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `MELMASTOON.") else { return nil }
            return line.split(separator: "`").dropFirst().first.map(String.init)
        })
        let code = Set(FileError.Code.all.map(\.qualified))
        let undocumented = code.subtracting(documented).sorted(), stale = documented.subtracting(code).sorted()
        var evidence = ["docs/ERROR_CODES.md lists \(documented.count) codes; FileError.Code.all has \(code.count)"]
        if !undocumented.isEmpty { evidence.append("in the code, not documented: \(undocumented.joined(separator: ", "))") }
        if !stale.isEmpty { evidence.append("documented, not in the code: \(stale.joined(separator: ", "))") }
        return CheckOutcome(undocumented.isEmpty && stale.isEmpty ? .pass : .fail, evidence)
    }

    /// The code's topics: what it emits and consumes.
    static var codeTopics: Set<String> { EventTopics.emitted.union(EventTopics.consumed) }

    /// D5: events/file-storage/REGISTRY.md lists exactly the code's topics, each versioned (`.vN`).
    static func eventRegistry(_ env: ReadinessEnvironment) -> CheckOutcome {
        guard let text = env.text("events/file-storage/REGISTRY.md") else { return .fail("events/file-storage/REGISTRY.md: missing") }
        let listed = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.split(separator: "`").dropFirst().first.map(String.init)
        })
        let code = codeTopics
        var evidence = ["events/file-storage/REGISTRY.md lists \(listed.count) topics; the code (EventTopics) has \(code.count)"]
        let unlisted = code.subtracting(listed).sorted(), stale = listed.subtracting(code).sorted()
        let unversioned = code.filter { $0.range(of: #"\.v[0-9]+$"#, options: .regularExpression) == nil }.sorted()
        if !unlisted.isEmpty { evidence.append("emitted or consumed, not in the registry: \(unlisted.joined(separator: ", "))") }
        if !stale.isEmpty { evidence.append("in the registry, not in the code: \(stale.joined(separator: ", "))") }
        if !unversioned.isEmpty { evidence.append("without a version suffix: \(unversioned.joined(separator: ", "))") }
        return CheckOutcome(unlisted.isEmpty && stale.isEmpty && unversioned.isEmpty ? .pass : .fail, evidence)
    }

    /// E3: every topic of the code has a JSON Schema `events/file-storage/<topic>.json` that parses and names it.
    static func eventSchemas(_ env: ReadinessEnvironment) -> CheckOutcome {
        var evidence: [String] = [], bad: [String] = []
        for topic in codeTopics.sorted() {
            let path = "events/file-storage/\(topic).json"
            guard let text = env.text(path) else { bad.append(topic); evidence.append("\(path): missing"); continue }
            guard let schema = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  schema["title"] as? String == topic, schema["type"] as? String == "object" else {
                bad.append(topic)
                evidence.append("\(path): not a JSON Schema of an object titled \(topic)")
                continue
            }
            do { _ = try JSONSchemaValidator(json: text) } catch {
                bad.append(topic)
                evidence.append("\(path): uses keywords the service cannot check (\(error))")
            }
        }
        evidence.insert("\(codeTopics.count) topics, \(codeTopics.count - bad.count) with a valid schema", at: 0)
        return CheckOutcome(bad.isEmpty ? .pass : .fail, evidence)
    }

    /// One failure mode of docs/FAILURE_MODES.md and the runbooks its row links.
    struct FailureMode {
        var failure: String
        var runbooks: [String]
    }

    static func failureModes(_ env: ReadinessEnvironment) -> [FailureMode]? {
        guard let text = env.text("docs/FAILURE_MODES.md") else { return nil }
        var out: [FailureMode] = []
        let link = try! Regex(#"\]\(([^)]+)\)"#)
        for line in text.split(separator: "\n") where line.hasPrefix("| ") && !line.hasPrefix("| failure") && !line.hasPrefix("|--") && !line.hasPrefix("|---") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { continue }
            let books = cells[3].matches(of: link).map { String(cells[3][$0.range].dropFirst(2).dropLast()) }
            out.append(FailureMode(failure: cells[1], runbooks: books))
        }
        return out
    }

    /// F1: docs/FAILURE_MODES.md exists and lists failure modes.
    static func failureCatalog(_ env: ReadinessEnvironment) -> CheckOutcome {
        guard let modes = failureModes(env) else { return .fail("docs/FAILURE_MODES.md: missing") }
        return CheckOutcome(modes.isEmpty ? .fail : .pass, ["docs/FAILURE_MODES.md: \(modes.count) failure modes"])
    }

    /// F2: every failure mode of docs/FAILURE_MODES.md names a runbook.
    static func runbookLinks(_ env: ReadinessEnvironment) -> CheckOutcome {
        guard let modes = failureModes(env) else { return .fail("docs/FAILURE_MODES.md: missing") }
        var evidence = ["docs/FAILURE_MODES.md: \(modes.count) failure modes, \(modes.filter { !$0.runbooks.isEmpty }.count) with a runbook link"]
        let without = modes.filter(\.runbooks.isEmpty)
        for mode in without { evidence.append("no runbook: \(mode.failure.prefix(100))") }
        return CheckOutcome(without.isEmpty && !modes.isEmpty ? .pass : .fail, evidence)
    }

    /// DC3: every runbook linked from docs/FAILURE_MODES.md exists.
    static func runbooks(_ env: ReadinessEnvironment) -> CheckOutcome {
        guard let modes = failureModes(env) else { return .fail("docs/FAILURE_MODES.md: missing") }
        var evidence: [String] = [], bad = 0
        var seen: Set<String> = []
        let root = env.repository.standardizedFileURL.path
        for mode in modes {
            for book in mode.runbooks {
                let path = URL(fileURLWithPath: book, relativeTo: env.file("docs/")).standardizedFileURL.path
                let relative = path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
                if !FileManager.default.fileExists(atPath: path) {
                    bad += 1
                    evidence.append("\(relative): linked by “\(mode.failure.prefix(60))”, does not exist")
                } else { seen.insert(relative) }
            }
        }
        evidence.insert("docs/FAILURE_MODES.md links \(seen.count + bad) runbook references; present: \(seen.sorted().joined(separator: ", "))", at: 0)
        return CheckOutcome(bad == 0 && !modes.isEmpty ? .pass : .fail, evidence)
    }

    /// The alert rule files and their alerts (name, expression lines, runbook_url).
    struct AlertRule {
        var file: String
        var name: String
        var expr: String
        var runbook: String?
    }

    static func alertRules(_ env: ReadinessEnvironment) -> [AlertRule] {
        let dir = env.file("infra/prometheus")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".yml") }.sorted()
        var out: [AlertRule] = []
        for name in names {
            guard let text = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8) else { continue }
            var current: AlertRule?
            var inExpr = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("- alert:") {
                    if let current { out.append(current) }
                    current = AlertRule(file: "infra/prometheus/\(name)", name: trimmed.dropFirst(8).trimmingCharacters(in: .whitespaces), expr: "", runbook: nil)
                    inExpr = false
                } else if trimmed.hasPrefix("expr:") {
                    current?.expr += trimmed.dropFirst(5)
                    inExpr = true
                } else if trimmed.hasPrefix("runbook_url:") {
                    current?.runbook = trimmed.dropFirst(12).trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\"'")))
                    inExpr = false
                } else if inExpr, !trimmed.contains(":") || line.hasPrefix("          ") {
                    current?.expr += " " + trimmed
                } else { inExpr = false }
            }
            if let current { out.append(current) }
        }
        return out
    }

    /// O6: the alert rules load (`promtool check rules`, when promtool is installed) and each alert's
    /// `runbook_url` names an existing runbook.
    static func alerts(_ env: ReadinessEnvironment) throws -> CheckOutcome {
        let rules = alertRules(env)
        guard !rules.isEmpty else { return .fail("infra/prometheus/*.yml: no alert rules") }
        var evidence: [String] = [], bad = false
        let files = Array(Set(rules.map(\.file))).sorted()
        if let promtool = env.configuration.promtool {
            let run = try ToolRun.run([promtool, "check", "rules"] + files, in: env.repository, timeout: 60)
            bad = bad || run.status != 0
            evidence.append("probe: promtool check rules \(files.joined(separator: " ")) → exit \(run.status): \(run.tail(2))")
        } else {
            evidence.append("promtool not installed (Debian package prometheus): rules checked by structure only")
        }
        for rule in rules {
            guard let url = rule.runbook else { bad = true; evidence.append("\(rule.file) \(rule.name): no runbook_url"); continue }
            let book = url.components(separatedBy: "}}/").last ?? url
            if !FileManager.default.fileExists(atPath: env.file("runbooks/\(book)").path) {
                bad = true
                evidence.append("\(rule.file) \(rule.name): runbook_url names runbooks/\(book), which does not exist")
            }
        }
        evidence.append("\(rules.count) alerts in \(files.count) files, each with a runbook_url\(bad ? " (see above)" : "")")
        return CheckOutcome(bad ? .fail : .pass, evidence)
    }

    /// F4 (wiring): an alert watches the dead-letter queue (`jobkit_dlq_size`) and links its runbook.
    static func deadLetterAlert(_ env: ReadinessEnvironment) -> CheckOutcome {
        let watching = alertRules(env).filter { $0.expr.contains("jobkit_dlq_size") }
        guard !watching.isEmpty else { return .fail("no alert rule in infra/prometheus/ reads jobkit_dlq_size") }
        return .pass("alerts on jobkit_dlq_size: \(watching.map { "\($0.name) (\($0.file), runbook \($0.runbook ?? "none"))" }.joined(separator: ", "))")
    }

    /// The metric names a PromQL expression reads: identifiers in the namespaces of `known` (histogram series
    /// `_bucket`, `_sum`, `_count` mapped to their metric).
    static func metricNames(in expr: String, known: Set<String>) -> Set<String> {
        let namespaces = Set(known.compactMap { $0.split(separator: "_").first.map(String.init) })
        var out: Set<String> = []
        let identifier = try! Regex(#"[a-zA-Z_:][a-zA-Z0-9_:]*"#)
        // Label matchers, grouping clauses and strings name labels and values, not metrics.
        var text = expr.replacingOccurrences(of: #"\{[^}]*\}"#, with: " ", options: .regularExpression)
        text = text.replacingOccurrences(of: #"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#, with: " ", options: .regularExpression)
        text = text.replacingOccurrences(of: #""[^"]*""#, with: " ", options: .regularExpression)
        for match in text.matches(of: identifier) {
            let name = String(text[match.range])
            guard let ns = name.split(separator: "_").first, namespaces.contains(String(ns)), name.contains("_") else { continue }
            var base = name
            for suffix in ["_bucket", "_sum", "_count"] where base.hasSuffix(suffix) && known.contains(String(base.dropLast(suffix.count))) {
                base = String(base.dropLast(suffix.count))
            }
            out.insert(base)
        }
        return out
    }

    /// Every `expr` string of a dashboard's JSON.
    static func expressions(_ value: Any) -> [String] {
        if let d = value as? [String: Any] {
            return d.flatMap { key, v in key == "expr" ? [v as? String].compactMap { $0 } : expressions(v) }
        }
        if let a = value as? [Any] { return a.flatMap(expressions) }
        return []
    }

    /// O5: dashboards under infra/grafana/ parse and read only metrics the code exports.
    static func dashboards(_ env: ReadinessEnvironment) -> CheckOutcome {
        let dir = env.file("infra/grafana")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { return .fail("infra/grafana/*.json: no dashboards") }
        let known = env.configuration.knownMetrics
        var evidence: [String] = [], bad = false
        for name in names {
            guard let data = try? Data(contentsOf: dir.appendingPathComponent(name)),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any], json["panels"] is [Any] else {
                bad = true
                evidence.append("infra/grafana/\(name): not a dashboard (JSON with panels)")
                continue
            }
            let exprs = expressions(json)
            let used = exprs.reduce(into: Set<String>()) { $0.formUnion(metricNames(in: $1, known: known)) }
            let unknown = used.subtracting(known).sorted()
            if !unknown.isEmpty { bad = true; evidence.append("infra/grafana/\(name): metrics the code does not export: \(unknown.joined(separator: ", "))") }
            else { evidence.append("infra/grafana/\(name): \(exprs.count) queries over \(used.count) exported metrics") }
        }
        if known.isEmpty { bad = true; evidence.append("no metric catalog given: cannot compare") }
        return CheckOutcome(bad ? .fail : .pass, evidence)
    }

    /// S1: no secret in the tracked files beyond the audited fixtures (scripts/scan_secrets.py, detect-secrets).
    static func secrets(_ env: ReadinessEnvironment) throws -> CheckOutcome {
        let script = env.file("scripts/scan_secrets.py")
        guard FileManager.default.fileExists(atPath: script.path) else { return .fail("scripts/scan_secrets.py: missing") }
        guard let python = env.configuration.python else { return .fail("no python3 to run scripts/scan_secrets.py") }
        guard let detect = env.configuration.detectSecrets else {
            return .fail("detect-secrets is not installed (scripts/test.sh installs it into .data/venv): the repository was not scanned")
        }
        let run = try ToolRun.run([python, script.path, detect], in: env.repository, timeout: 600)
        return CheckOutcome(run.status == 0 ? .pass : .fail, ["probe: scripts/scan_secrets.py \(detect) → exit \(run.status): \(run.tail(4))"])
    }
}
