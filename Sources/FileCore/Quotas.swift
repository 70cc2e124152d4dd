import Domain
import Foundation
import PostgresNIO
import Storage

/// A tenant's quotas of bytes and files: its row's, else the configured defaults.
public struct Quotas: Sendable {
    let core: FileCore

    /// Throws `QUOTA_EXCEEDED` if one more file of `bytes` would pass the tenant's quotas. With `lock`, the
    /// tenant's row stays locked until `tx` ends, serializing the check with other uploads of the tenant.
    public func check(_ tenant: TenantID, adding bytes: Int64, lock: Bool, on tx: PostgresConnection) async throws {
        let row = try await core.tenantRepository.quota(tenant, lock: lock, on: tx)
        let quotaBytes = row.bytes ?? core.configuration.defaultQuotaBytes
        let quotaFiles = row.files ?? core.configuration.defaultQuotaFiles
        guard quotaBytes != nil || quotaFiles != nil else { return }
        let used = try await core.tenantRepository.usage(on: tx)
        if let quotaBytes, used.bytes + bytes > quotaBytes {
            throw FileError(.quotaExceeded, "tenant \(tenant) uses \(used.bytes) of \(quotaBytes) bytes; \(bytes) more do not fit")
        }
        if let quotaFiles, used.files + 1 > quotaFiles {
            throw FileError(.quotaExceeded, "tenant \(tenant) has \(used.files) of \(quotaFiles) files")
        }
    }
}
