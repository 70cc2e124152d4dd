/// Limits and policies of the file API. Every field has a documented default.
public struct APIConfiguration: Sendable {
    /// Largest direct upload, checked from `Content-Length` before any byte is read and again on the bytes
    /// received. Default: 5 GiB.
    public var maxUploadBytes: Int64
    /// Most files in one page of `GET /v1/files`. Default: 100.
    public var maxPageSize: Int
    /// The queue scan jobs go to. Default: `scan`.
    public var scanQueue: String
    /// The queue deletion (purge) jobs go to. Default: `maintenance`.
    public var maintenanceQueue: String
    /// A tenant's byte quota when its row sets none (`tenants.quota_bytes`); `nil`: unlimited. Default: `nil`.
    public var defaultQuotaBytes: Int64?
    /// A tenant's file-count quota when its row sets none (`tenants.quota_files`); `nil`: unlimited. Default: `nil`.
    public var defaultQuotaFiles: Int64?
    /// The service's public base URL (`https://files.example.com`); signed URLs are absolute under it when set,
    /// relative (`/v1/download/…`) when `nil`. Default: `nil`.
    public var publicURL: String?

    public init(maxUploadBytes: Int64 = 5 << 30, maxPageSize: Int = 100, scanQueue: String = "scan", maintenanceQueue: String = "maintenance",
                defaultQuotaBytes: Int64? = nil, defaultQuotaFiles: Int64? = nil, publicURL: String? = nil) {
        self.maxUploadBytes = maxUploadBytes
        self.maxPageSize = maxPageSize
        self.scanQueue = scanQueue
        self.maintenanceQueue = maintenanceQueue
        self.defaultQuotaBytes = defaultQuotaBytes
        self.defaultQuotaFiles = defaultQuotaFiles
        self.publicURL = publicURL
    }
}
