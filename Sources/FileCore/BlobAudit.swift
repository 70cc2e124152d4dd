import Domain
import Foundation
import Storage

/// Do the rows and the blob store of a tenant agree? After a point-in-time restore of the database (which does not
/// rewind the object store), or any incident, two things can be wrong: a row whose bytes are gone (**missing**:
/// the file would be listed, and fail on download), and bytes no row knows (**orphans**: uploads committed after
/// the restore point, or left by a crash between the blob write and the commit). The check lists both; the repair
/// marks files with a missing original deleted (audited, `file.deleted.v1`, their purge enqueued — as an operator's
/// delete, so retention and legal hold still refuse it) and removes orphan folders older than a grace period (so
/// an upload in flight, whose bytes are written before its row commits, is never taken for one).
public struct BlobAudit: Sendable {
    let core: FileCore

    /// What the check found (and, with repair, did) for one tenant.
    public struct Report: Sendable, Hashable {
        public var tenant: String
        public var files = 0
        public var objects = 0
        /// Keys a row names whose object does not exist: file originals (`tenants/…/original`) and variants.
        public var missing: [String] = []
        /// Objects under the tenant's prefix that no file row knows, older than the grace period.
        public var orphans: [String] = []
        /// Objects of files no row knows yet that are younger than the grace period (uploads in flight): left alone.
        public var young = 0
        /// Files marked deleted by the repair (their original was missing).
        public var markedDeleted: [String] = []
        /// Files the repair could not mark deleted, with why (retention, legal hold).
        public var refused: [String: String] = [:]
        /// Orphan objects the repair removed.
        public var removed = 0

        public var consistent: Bool { missing.isEmpty && orphans.isEmpty }
    }

    /// States whose file has its original in the store (before a purge, a deleted file's bytes may still be there).
    static let holdsBytes: Set<FileState> = [.uploaded, .scanning, .clean, .processing, .ready, .quarantined, .failed]

    /// Checks `tenant`; with `repair`, also repairs what it found. `grace`: how old an orphan must be to count.
    public func check(tenant: TenantID, repair: Bool, grace: TimeInterval = 3600, now: Date = Date()) async throws -> Report {
        let repository = BlobAuditRepository(logger: core.logger)
        let (files, variants) = try await core.database.transaction(tenant) { tx in
            (try await repository.files(on: tx), try await repository.variantKeys(on: tx))
        }
        var report = Report(tenant: tenant.value, files: files.count)
        let known = Set(files.map(\.id))
        var expected: [String: String] = [:]   // key → file id
        for f in files where Self.holdsBytes.contains(f.state) { expected[f.objectKey] = f.id }
        let live = Set(files.filter { Self.holdsBytes.contains($0.state) }.map(\.id))
        for v in variants where live.contains(v.file) { expected[v.key] = v.file }
        var present = Set<String>()
        var orphanFolders: [String: (old: Bool, objects: Int)] = [:]   // folder → all past the grace period, how many
        for try await object in core.blobs.list(prefix: ObjectKey.prefix(of: tenant)) {
            report.objects += 1
            present.insert(object.key)
            guard let key = try? ObjectKey(parsing: object.key) else {
                report.orphans.append(object.key)   // not a key the service writes at all
                continue
            }
            let file = key.folder.split(separator: "/")[3]
            guard !known.contains(String(file)) else { continue }
            let old = now.timeIntervalSince(object.modified) >= grace
            let seen = orphanFolders[key.folder] ?? (true, 0)
            orphanFolders[key.folder] = (seen.old && old, seen.objects + 1)
            if old { report.orphans.append(object.key) } else { report.young += 1 }
        }
        report.missing = expected.keys.filter { !present.contains($0) }.sorted()
        report.orphans.sort()
        guard repair else { return report }

        // Files whose original is gone: deleted, as an operator would, with the reason in the audit log.
        let lost = Set(report.missing.compactMap { key in key.hasSuffix("/original") ? expected[key] : nil }).sorted()
        let purge = PipelineJobs.options(tenant: tenant, queue: core.configuration.maintenanceQueue, traceContext: nil)
        for id in lost {
            guard let fileID = PrefixedID(parsing: id, as: .file) else { continue }
            do {
                try await core.database.transaction(tenant) { tx in
                    _ = try await core.fileRepository.transition(fileID, on: .deleted, actor: "filestore blobs check", requestID: nil,
                                                                 traceContext: nil, details: ["reason": "original blob missing"], tx: tx)
                    try await core.jobs.enqueue(PurgeFile(fileID), options: purge, on: tx)
                }
                report.markedDeleted.append(id)
            } catch {
                report.refused[id] = "\(error)"
            }
        }
        // Orphans: whole folders, only when every object in them is past the grace period.
        for (folder, entry) in orphanFolders.sorted(by: { $0.key < $1.key }) where entry.old {
            try await core.blobs.deleteAll(prefix: folder)
            report.removed += entry.objects
        }
        return report
    }
}
