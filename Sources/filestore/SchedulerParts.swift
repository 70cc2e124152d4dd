import FileCore
import FilestoreConfig
import JobKit
import Jobs
import Logging
import PostgresNIO
import Readiness
import Scheduler

/// The product's side of the scheduler: its settings as a `SchedulerConfiguration`, the job kinds operator
/// schedules may name, and the built-in schedules the product declares in code.
enum SchedulerParts {
    /// The kinds a `schedules add --kind` may name: those the product's workers run.
    static var knownKinds: Set<String> {
        Set(JobRegistry.filestore().kinds).union([ScanFile.kind, OptimizeFile.kind, PurgeFile.kind, SweepUploads.kind, SweepIdempotencyKeys.kind,
                                                SweepRetention.kind, SealAudit.kind, EraseRequest.kind, ReadinessRevalidate.kind])
    }

    /// The built-in schedules (``BuiltInSchedules``, declared in `Jobs` beside their handlers). The tenant sweeps
    /// of expired uploads and keys stay leader tasks of the maintenance leadership (`SweepTasks`); see
    /// docs/SCHEDULER.md.
    static let builtins: [ScheduleDefinition] = BuiltInSchedules.all

    static func configuration(_ s: FilestoreConfiguration.Scheduler) -> SchedulerConfiguration {
        SchedulerConfiguration(
            tickInterval: .milliseconds(s.tickMS),
            parallelism: s.parallelism,
            misfireGrace: .milliseconds(Int64(s.misfireGraceSeconds * 1000)),
            ledgerRetention: .milliseconds(Int64(s.ledgerRetentionDays * 86_400_000)),
            leadership: LeaderConfiguration(name: "scheduler", ttl: .milliseconds(Int64(s.leaseSeconds * 1000)),
                                            electionInterval: .milliseconds(min(1000, Int64(s.leaseSeconds * 1000) / 3))))
    }

    /// The scheduler's leader service for this process.
    static func service(_ configuration: FilestoreConfiguration, postgres: PostgresClient, candidateID: String, notifier: Notifier?) -> LeaderService {
        SchedulerService.make(postgres: postgres, candidateID: candidateID, configuration: Self.configuration(configuration.scheduler),
                              builtins: builtins, notifier: notifier, logger: makeLogger("filestore.scheduler"))
    }
}
