import JobKit
import Logging
import PostgresNIO

/// Builds the scheduler's leader service: its own leadership (``SchedulerConfiguration/leadership``, row
/// `scheduler` in `jobkit.leaders`), with the tick and the housekeeping as its tasks. Run it in a process's
/// `ServiceGroup` on as many replicas as wanted: one leads, the others stand by; SIGTERM resigns at once.
public enum SchedulerService {
    public static func make(postgres: PostgresClient, candidateID: String, configuration: SchedulerConfiguration = SchedulerConfiguration(),
                            builtins: [ScheduleDefinition] = [], notifier: Notifier?, logger: Logger) -> LeaderService {
        let store = ScheduleStore(postgres: postgres, logger: logger)
        let metrics = SchedulerMetrics()
        return LeaderService(postgres: postgres, candidateID: candidateID, configuration: configuration.leadership,
                             tasks: [
                                SchedulerTask(store: store, configuration: configuration, metrics: metrics, logger: logger),
                                SchedulerMaintenanceTask(store: store, builtins: builtins, configuration: configuration,
                                                         metrics: metrics, logger: logger),
                             ],
                             notifier: notifier, logger: logger)
    }
}
