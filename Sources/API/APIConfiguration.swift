import FileCore
import Logging

/// Limits and policies of the file API: the use cases' own (``FileCoreConfiguration``, which the API's
/// ``FileCore`` is built with) and what only HTTP needs. Every field has a documented default.
public struct APIConfiguration: Sendable {
    /// The use cases' limits and policies (upload size, page size, queues, quotas, retention). Default:
    /// ``FileCoreConfiguration/init(maxUploadBytes:maxPageSize:scanQueue:maintenanceQueue:defaultQuotaBytes:defaultQuotaFiles:idempotencyRetention:uploadExpiry:uploadLeaseDuration:)``'s defaults.
    public var core: FileCoreConfiguration
    /// The service's public base URL (`https://files.example.com`); signed URLs are absolute under it when set,
    /// relative (`/v1/download/…`) when `nil`. Default: `nil`.
    public var publicURL: String?
    /// Certificate subjects allowed to read `/metrics` over mutual TLS (``ClientCertificateMiddleware``); empty:
    /// `/metrics` is open to whoever reaches the port. Default: empty.
    public var metricsClients: [String] = []
    /// Certificate subjects allowed to post to the inbox over mutual TLS, on top of each event's signature; empty:
    /// the signature alone authenticates. Default: empty.
    public var inboxClients: [String] = []
    /// Where the access log goes, one line per request at `info` (``AccessLogMiddleware``); `nil`: no access
    /// log. Default: `nil` (the composition root sets it from `FILESTORE_ACCESS_LOG`).
    public var accessLogger: Logger?
    /// The proxies whose `X-Forwarded-For` names the client (per-client limits key on it). Default: none (the
    /// header is ignored; the client is the socket's peer).
    public var trustedProxies = TrustedProxies()
    /// The inbox's Standard Webhooks secrets per source (`FILESTORE_INBOX_SECRETS`). Default: none (every source refused).
    public var inboxSecrets: [String: [String]] = [:]

    public init(core: FileCoreConfiguration = FileCoreConfiguration(), publicURL: String? = nil) {
        self.core = core
        self.publicURL = publicURL
    }

    /// The common case: the largest upload, defaults for the rest of the use cases.
    public init(maxUploadBytes: Int64, publicURL: String? = nil) {
        self.init(core: FileCoreConfiguration(maxUploadBytes: maxUploadBytes), publicURL: publicURL)
    }
}
