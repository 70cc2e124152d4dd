import Domain
import JobKit

/// The jobs of the file pipeline, built in one place for the API and the workers: unique per file while
/// pending, carrying the tenant and the caller's trace context.
public enum PipelineJobs {
    static func insert(_ kind: String, queue: String, file: PrefixedID, tenant: TenantID, traceContext: String?) -> JobInsert {
        JobInsert(kind: kind, argsJSON: "{\"file_id\":\"\(file)\",\"tenant_id\":\"\(tenant.value)\"}", queue: queue,
                  uniqueKey: "\(kind):\(file)", tenantID: tenant.value, traceContext: traceContext)
    }

    /// Scan a file that was just uploaded (queue `scan`).
    public static func scan(_ file: PrefixedID, tenant: TenantID, queue: String = "scan", traceContext: String?) -> JobInsert {
        insert("scan", queue: queue, file: file, tenant: tenant, traceContext: traceContext)
    }

    /// Make a clean file's variants and mark it ready (queue `optimize`).
    public static func optimize(_ file: PrefixedID, tenant: TenantID, queue: String = "optimize", traceContext: String?) -> JobInsert {
        insert("optimize", queue: queue, file: file, tenant: tenant, traceContext: traceContext)
    }

    /// Remove a deleted file's bytes (queue `maintenance`).
    public static func purge(_ file: PrefixedID, tenant: TenantID, queue: String = "maintenance", traceContext: String?) -> JobInsert {
        insert("file.purge", queue: queue, file: file, tenant: tenant, traceContext: traceContext)
    }
}
