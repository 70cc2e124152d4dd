import Foundation

/// Evaluates every row of the checklist against the live deployment and the repository. Rows run concurrently;
/// a check that throws fails its row with the error as evidence (an unreachable database fails the rows that ask
/// it, not the evaluation).
public struct ReadinessEvaluator: Sendable {
    public var environment: ReadinessEnvironment
    public var rows: [ChecklistRow]

    public init(environment: ReadinessEnvironment, rows: [ChecklistRow] = Checklist.rows) {
        self.environment = environment
        self.rows = rows
    }

    public func evaluate() async -> ReadinessReport {
        let started = Date()
        let env = environment
        let results = await withTaskGroup(of: (Int, RowResult).self) { group in
            for (index, row) in rows.enumerated() {
                group.addTask {
                    let outcome: CheckOutcome
                    switch row.evaluation {
                    case .manual(let document):
                        outcome = CheckOutcome(.manual, ["needs a person; evidence: \(document)"])
                    case .automatic(let check):
                        do { outcome = try await check(env) } catch {
                            outcome = CheckOutcome(.fail, ["the check failed: \(String(reflecting: error))"])
                        }
                    }
                    return (index, RowResult(id: row.id, title: row.title, section: row.section, level: row.level,
                                             status: outcome.status, evidence: outcome.evidence))
                }
            }
            var out: [(Int, RowResult)] = []
            for await r in group { out.append(r) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let (level, blockers) = ReadinessLevels.reached(results)
        return ReadinessReport(startedAt: started, finishedAt: Date(), rows: results, level: level, blockers: blockers)
    }
}
