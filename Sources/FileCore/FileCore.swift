import Domain
import Foundation
import JobKit
import Logging
import Storage

/// The application layer: one value holding what every use case needs (the tenant-scoped database, the one
/// blob store, the configuration), handing out the use cases. HTTP routes, the job handlers and the CLI all
/// go through it; none of them runs SQL of its own.
public struct FileCore: Sendable {
    public let database: TenantDatabase
    public let blobs: any BlobStore
    public let configuration: FileCoreConfiguration
    /// The download guard's short-lived cache of servable files (the API's, kept fresh by its LISTEN
    /// connection); `nil`: every download reads the database.
    public let downloadCache: FileStateCache?

    public init(database: TenantDatabase, blobs: any BlobStore, configuration: FileCoreConfiguration = FileCoreConfiguration(),
                downloadCache: FileStateCache? = nil) {
        self.database = database
        self.blobs = blobs
        self.configuration = configuration
        self.downloadCache = downloadCache
    }

    /// Reading, listing, deleting files and their signed URLs.
    public var files: Files { Files(core: self) }
    /// Direct uploads.
    public var uploads: Uploads { Uploads(core: self) }
    /// Resumable uploads (tus).
    public var tus: TusUploads { TusUploads(core: self) }
    /// The download guard.
    public var downloads: Downloads { Downloads(core: self) }
    /// Tenant quotas.
    public var quotas: Quotas { Quotas(core: self) }
    /// `Idempotency-Key` claims, replays and stored outcomes.
    public var idempotency: IdempotencyStore { IdempotencyStore(core: self) }
    /// The pipeline's steps (scan, optimize, purge), for the job handlers.
    public var pipeline: Pipeline { Pipeline(core: self) }
    /// Compliance overrides of quarantined files.
    public var quarantine: QuarantineOverrides { QuarantineOverrides(core: self) }
    /// Retention classes, retain-until dates, legal hold and the retention sweep.
    public var retention: Retention { Retention(core: self) }
    /// The data subjects of files.
    public var subjects: Subjects { Subjects(core: self) }
    /// Data-subject erasure and tenant offboarding, with signed receipts.
    public var erasure: Erasure { Erasure(core: self) }
    /// The tamper-evident audit log: sealing, verification, export.
    public var audit: AuditLog { AuditLog(core: self) }
    /// The consistency check of rows and blobs (after a restore or an incident) and its repair.
    public var blobAudit: BlobAudit { BlobAudit(core: self) }

    var logger: Logger { database.logger }
    var jobs: JobClient { JobClient(postgres: database.postgres, logger: database.logger) }
    var fileRepository: FileRepository { FileRepository(logger: database.logger) }
    var variantRepository: VariantRepository { VariantRepository(logger: database.logger) }
    var tenantRepository: TenantRepository { TenantRepository(logger: database.logger) }
    func blobs(of tenant: TenantID) -> TenantBlobs { TenantBlobs(tenant: tenant, store: blobs) }
}
