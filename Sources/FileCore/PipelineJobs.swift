import Domain
import JobKit

/// The args of every file-pipeline job: the file, and nothing else (the tenant is the job row's `tenant_id`).
/// Each is unique per file while pending.
public protocol FileJobArgs: JobArgs {
    /// The file's id (`fil_…`).
    var fileID: String { get }
    init(fileID: String)
}

extension FileJobArgs {
    public init(_ file: PrefixedID) { self.init(fileID: file.description) }
    public var insertOptions: InsertOptions { InsertOptions(uniqueKey: "\(Self.kind):\(fileID)") }
}

/// Scan a file that was just uploaded (kind `scan`, queue `scan`).
public struct ScanFile: FileJobArgs {
    public static let kind = "scan"
    public static let defaultQueue = "scan"
    public var fileID: String
    public init(fileID: String) { self.fileID = fileID }
    enum CodingKeys: String, CodingKey { case fileID = "file_id" }
}

/// Make a clean file's variants and mark it ready (kind `optimize`, queue `optimize`).
public struct OptimizeFile: FileJobArgs {
    public static let kind = "optimize"
    public static let defaultQueue = "optimize"
    public var fileID: String
    public init(fileID: String) { self.fileID = fileID }
    enum CodingKeys: String, CodingKey { case fileID = "file_id" }
}

/// Remove a deleted file's bytes (kind `file.purge`, queue `maintenance`).
public struct PurgeFile: FileJobArgs {
    public static let kind = "file.purge"
    public static let defaultQueue = "maintenance"
    public var fileID: String
    public init(fileID: String) { self.fileID = fileID }
    enum CodingKeys: String, CodingKey { case fileID = "file_id" }
}

/// The insert options the pipeline's jobs share, built in one place for the API and the workers.
public enum PipelineJobs {
    /// For the tenant, on `queue` (default: the args type's own queue), carrying the caller's trace context.
    public static func options(tenant: TenantID, queue: String? = nil, traceContext: String?) -> InsertOptions {
        InsertOptions(queue: queue, tenantID: tenant.value, traceContext: traceContext)
    }
}
