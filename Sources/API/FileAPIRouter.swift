import FileCore
import Hummingbird

/// Builds the file API's router over `core`: ops endpoints and signed downloads, then `/v1` behind
/// authentication, tus under `/v1/uploads` (every answer with `Tus-Resumable`); every error in the uniform
/// envelope.
public func makeFileAPIRouter(core: FileCore, configuration: APIConfiguration = APIConfiguration(), keys: TokenKeys, signer: URLSigner,
                              ops: OpsRoutes, limiter: RateLimiter = RateLimiter(), table: RouteTable = RouteTable()) -> Router<FileRequestContext> {
    let router = Router(context: FileRequestContext.self)
    // Without trusted proxies the client is the socket's peer, read where it is needed (RateLimiter.clientAddress).
    if !configuration.trustedProxies.networks.isEmpty { router.add(middleware: ClientAddressMiddleware(trusted: configuration.trustedProxies)) }
    router.add(middleware: MetricsMiddleware())
    if let accessLogger = configuration.accessLogger { router.add(middleware: AccessLogMiddleware(logger: accessLogger)) }
    router.add(middleware: ErrorMiddleware())
    ops.add(to: router, table: table, metricsClients: configuration.metricsClients)
    let idempotency = Idempotency(store: core.idempotency)
    let auth = AuthMiddleware(keys: keys), limit = RateLimitMiddleware(limiter: limiter)
    // Failed authentication is charged to the client's address; tenants only by verified credentials.
    let failures = AuthFailureLimitMiddleware(limiter: limiter)
    let downloads = DownloadRoutes(core: core, signer: signer, idempotency: idempotency, publicURL: configuration.publicURL, limiter: limiter)
    downloads.addPublic(to: router.group("").add(middleware: failures), table: table)
    let tus = TusRoutes(core: core)
    tus.addPublic(to: router.group("v1/uploads").add(middleware: TusResumableMiddleware()).add(middleware: limit), table: table)
    tus.add(to: router.group("v1/uploads").add(middleware: TusResumableMiddleware()).add(middleware: failures).add(middleware: auth)
        .add(middleware: limit), table: table)
    let v1 = router.group("v1").add(middleware: failures).add(middleware: auth).add(middleware: limit)
    let inbox = router.group("v1/inbox")
    if !configuration.inboxClients.isEmpty { inbox.add(middleware: ClientCertificateMiddleware<FileRequestContext>(allowedSubjects: configuration.inboxClients)) }
    InboxRoutes(inbox: Inbox(core: core, secrets: configuration.inboxSecrets)).add(to: inbox.add(middleware: limit), table: table)
    let files = FileRoutes(core: core, idempotency: idempotency)
    files.add(to: v1, table: table)
    files.addCompliance(to: v1, table: table)
    downloads.addAuthenticated(to: v1, table: table)
    WebhookRoutes(core: core, idempotency: idempotency).add(to: v1, table: table)
    let compliance = ComplianceRoutes(core: core, idempotency: idempotency)
    compliance.addPublic(to: router.group("v1/compliance").add(middleware: limit), table: table)
    compliance.add(to: v1, table: table)
    return router
}
