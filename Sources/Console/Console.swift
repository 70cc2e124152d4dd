import API
import Foundation
import Hummingbird
import JobKit
import Logging
import NIOCore
import PostgresNIO
import Scheduler
import ServiceLifecycle
import Storage

/// The SRE console under `/admin`: sign-in with a bearer token for a session cookie, server-rendered pages
/// (overview, jobs, job, dead-letter queue, schedules, webhooks, erasure requests and receipts, audit), the admin JSON API under `/admin/api` behind
/// them, and live overview updates by server-sent events. Every operator action is audited.
///
/// Build one per process and ``add(to:)`` its routes to the file API's router; run ``services`` in the
/// process's service group (the live feed's single refresher and the throughput rollup).
public struct Console: Sendable {
    public let configuration: ConsoleConfiguration
    let jobs: JobClient
    let repository: ConsoleRepository
    let schedules: ScheduleStore
    let tenants: TenantDatabase
    let keys: TokenKeys
    let live: LiveFeed
    let rollup: RollupService
    let templates: ConsoleTemplates
    let redactor: Redactor
    let bulk: BulkRunner
    let logger: Logger
    let apiRoutes = ConsoleRouteList()

    /// - Parameter notifier: the process's one LISTEN connection; the live feed subscribes to it once.
    public init(postgres: PostgresClient, keys: TokenKeys, notifier: Notifier?, configuration: ConsoleConfiguration = ConsoleConfiguration(),
                logger: Logger = Logger(label: "filestore.console")) throws {
        try configuration.validate()
        self.configuration = configuration
        self.jobs = JobClient(postgres: postgres, logger: logger)
        self.repository = ConsoleRepository(postgres: postgres, logger: logger)
        self.schedules = ScheduleStore(postgres: postgres, logger: logger)
        self.tenants = TenantDatabase(postgres: postgres, logger: logger)
        self.keys = keys
        self.logger = logger
        self.templates = try ConsoleTemplates()
        self.redactor = Redactor(configuration.redactedArgs)
        self.rollup = RollupService(repository: repository, interval: configuration.rollupInterval, logger: logger)
        self.live = LiveFeed(jobs: jobs, repository: repository, notifier: notifier, configuration: configuration, logger: logger)
        self.bulk = BulkRunner(jobs: jobs, repository: repository, configuration: configuration, logger: logger)
    }

    /// The console's services: the live feed's refresher and the rollup of finished jobs.
    public var services: [any Service] { [live, rollup, bulk] }

    /// A live-update stream as `/admin/events` serves it (`nil` when the process serves its maximum already).
    public func liveStream() -> AsyncStream<ByteBuffer>? { live.subscribe() }

    /// How many overview snapshots the live feed has read since start.
    public var liveRefreshCount: Int { live.refreshCount }

    /// Adds the pages under `/admin` and the admin API under `/admin/api` to `router`.
    public func add(to router: Router<FileRequestContext>) {
        let admin = router.group("admin").add(middleware: ConsoleHeadersMiddleware())
        addAssets(to: admin)
        addAccess(to: admin)
        addPages(to: admin)
        addWebhookPages(to: admin)
        addErasurePages(to: admin)
        addAPI(to: admin.group("api"))
    }
}
