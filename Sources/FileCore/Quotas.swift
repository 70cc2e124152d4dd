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
        try await check(tenant, adding: bytes, row: core.tenantRepository.quota(tenant, lock: lock, on: tx), on: tx)
    }

    /// The check of an upload's transaction: provisions the tenant's row and reads its quotas in one statement,
    /// and only when a quota applies locks the row (serializing the tenant's uploads) and counts its usage. A
    /// tenant without quotas takes no lock, so its uploads commit in parallel.
    public func checkRecording(_ tenant: TenantID, adding bytes: Int64, on tx: PostgresConnection) async throws {
        let row = try await core.tenantRepository.ensureTenantQuota(tenant, on: tx)
        let applies = (row.bytes ?? core.configuration.defaultQuotaBytes) != nil || (row.files ?? core.configuration.defaultQuotaFiles) != nil
        guard applies else { return }
        try await check(tenant, adding: bytes, lock: true, on: tx)
    }

    func check(_ tenant: TenantID, adding bytes: Int64, row: TenantRepository.Quota, on tx: PostgresConnection) async throws {
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
