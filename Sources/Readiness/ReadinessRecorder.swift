import Domain
import FileCore
import Foundation
import JobKit
import Logging
import PostgresNIO
import Storage

/// Records a revalidation in one transaction: the run and its rows, then the findings — one opened per newly
/// failing row (with `readiness.degraded.v1`), kept open while the row fails, closed when it passes again or no
/// longer applies (with `readiness.restored.v1`). Events go through the operations tenant's outbox, with its relay job.
public struct ReadinessRecorder: Sendable {
    public var postgres: PostgresClient
    public var operationsTenant: String
    public var logger: Logger

    public init(postgres: PostgresClient, operationsTenant: String, logger: Logger) {
        self.postgres = postgres
        self.operationsTenant = operationsTenant
        self.logger = logger
    }

    /// What a recording did.
    public struct Recorded: Sendable, Hashable, Codable {
        public var runID: Int64
        public var level: ReadinessLevel
        public var previousLevel: ReadinessLevel?
        /// Rows whose finding was opened by this run.
        public var opened: [String]
        /// Rows whose finding this run closed.
        public var closed: [String]
        /// Rows that still fail with a finding opened earlier.
        public var stillFailing: [String]
    }

    public func record(_ report: ReadinessReport, trigger: String, jobID: Int64? = nil) async throws -> Recorded {
        let tenant = try TenantID(operationsTenant)
        let repository = ReadinessRepository(logger: logger)
        let encoder = JSONEncoder.outboxPayload
        let stamp = ISO8601DateFormatter()
        return try await TenantDatabase(postgres: postgres, logger: logger).transaction(tenant) { tx in
            // One recording at a time (a CLI run and the job at once would both open the same finding).
            try await repository.lockRecording(on: tx)
            let previous = try await repository.runs(limit: 1, on: tx).first.flatMap { ReadinessLevel(rawValue: $0.level) }
            let rows = try report.rows.map { r in
                ReadinessRepository.RowRecord(rowID: r.id, title: r.title, status: r.status.rawValue, level: r.level.rawValue,
                                              evidenceJSON: String(decoding: try encoder.encode(r.evidence), as: UTF8.self))
            }
            let runID = try await repository.insertRun(startedAt: report.startedAt, level: report.level.rawValue, rows: rows, trigger: trigger,
                                                       jobID: jobID, on: tx)
            let open = try await repository.openFindings(on: tx)
            var recorded = Recorded(runID: runID, level: report.level, previousLevel: previous, opened: [], closed: [], stillFailing: [])
            var tenantReady = false
            func emit<E: Encodable>(_ event: E, id: String, topic: String, row: String) async throws {
                if !tenantReady {
                    try await TenantRepository(logger: logger).ensureTenant(tenant, on: tx)
                    tenantReady = true
                }
                try await OutboxRelayJob.insertEvent(id: id, tenant: tenant, topic: topic, aggregateID: "readiness/\(row)",
                                                     payloadJSON: String(decoding: try encoder.encode(event), as: UTF8.self), on: tx, logger: logger)
            }
            for (row, record) in zip(report.rows, rows) {
                switch (row.status, open[row.id]) {
                case (.fail, nil):
                    let findingID = try await repository.openFinding(record, run: runID, on: tx)
                    let id = PrefixedID(.event).description
                    try await emit(ReadinessDegraded(event_id: id, occurred_at: stamp.string(from: Date()), tenant_id: tenant.value, run_id: runID,
                                                     finding_id: findingID, row_id: row.id, title: row.title, level: report.level.description,
                                                     previous_level: previous?.description, evidence: Array(row.evidence.prefix(20))),
                                   id: id, topic: ReadinessDegraded.topic, row: row.id)
                    recorded.opened.append(row.id)
                case (.fail, let finding?):
                    try await repository.touchFinding(finding.id, run: runID, evidenceJSON: record.evidenceJSON, on: tx)
                    recorded.stillFailing.append(row.id)
                case (.pass, let finding?), (.notApplicable, let finding?), (.manual, let finding?):
                    try await repository.closeFinding(finding.id, run: runID, on: tx)
                    let id = PrefixedID(.event).description
                    try await emit(ReadinessRestored(event_id: id, occurred_at: stamp.string(from: Date()), tenant_id: tenant.value, run_id: runID,
                                                     finding_id: finding.id, row_id: row.id, title: row.title, level: report.level.description,
                                                     opened_at: stamp.string(from: finding.openedAt)),
                                   id: id, topic: ReadinessRestored.topic, row: row.id)
                    recorded.closed.append(row.id)
                default:
                    break
                }
            }
            return recorded
        }
    }
}
