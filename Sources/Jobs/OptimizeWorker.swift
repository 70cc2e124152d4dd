import Domain
import Foundation
import Imaging
import JobKit
import Logging
import PostgresNIO
import Storage

/// The `optimize` job: clean → processing → ready. Images get a `thumb` (256 px), a `preview` (1600 px) and a
/// `scrubbed` copy in the original's format, all without metadata, stored under the tenant's prefix; other files
/// become ready as they are. An image over the pixel limit or that cannot be decoded ends `failed` (the job
/// completes: retrying cannot fix it). Variants, the state change, `file.ready.v1` and the job's completion
/// commit together.
public struct OptimizeWorker: JobWorker {
    public typealias Args = FileJobArgs
    public static let kind = "optimize"

    /// A variant to make: its name, longest side (`nil`: full size, scrubbed) and output suffix (`nil`: the original's).
    public struct VariantSpec: Sendable {
        public var name: String
        public var size: Int?
        public var suffix: String?
        public init(name: String, size: Int?, suffix: String?) {
            self.name = name
            self.size = size
            self.suffix = suffix
        }
    }

    /// Defaults: `thumb` 256 px WebP, `preview` 1600 px WebP, `scrubbed` full size in the original format.
    public static let defaultVariants = [
        VariantSpec(name: "thumb", size: 256, suffix: ".webp"), VariantSpec(name: "preview", size: 1600, suffix: ".webp"),
        VariantSpec(name: "scrubbed", size: nil, suffix: nil),
    ]

    let images: ImageProcessor
    let blobs: LocalBlobStore
    let database: TenantDatabase
    let variants: [VariantSpec]
    public let options: JobWorkerOptions

    public init(images: ImageProcessor, blobs: LocalBlobStore, database: TenantDatabase, variants: [VariantSpec] = OptimizeWorker.defaultVariants,
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(300), retryPolicy: RetryPolicy(base: .seconds(5)))) {
        self.images = images
        self.blobs = blobs
        self.database = database
        self.variants = variants
        self.options = options
    }

    static let suffixes = ["image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"]
    static let types = [".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif"]

    public func work(_ job: Job<Args>) async throws {
        let step = try await PipelineStep.begin(job, .processingStarted, step: "optimize", database: database)
        let (tenant, file, repository, actor, id) = (step.tenant, step.file, step.repository, step.actor, step.file.id)
        let original = blobs.localPath(of: file.objectKey)
        var made: [(VariantSpec, BlobInfo, String, ImageInfo?)] = []
        var failure: String?
        if let type = file.contentType, let originalSuffix = Self.suffixes[type] {
            do {
                guard let info = try await images.probe(original) else { throw ImageError("not a decodable image") }
                try images.check(info)
                for spec in variants {
                    let suffix = spec.suffix ?? originalSuffix
                    let scratch = blobs.scratchPath(suffix: suffix)
                    if let size = spec.size {
                        try await images.thumbnail(original, to: scratch, size: size)
                    } else {
                        try await images.scrub(original, to: scratch)
                    }
                    let outInfo = try await images.probe(scratch)
                    let stored = try await blobs.importFile(scratch, as: ObjectKey(tenant: tenant, file: id, name: spec.name))
                    made.append((spec, stored, Self.types[suffix] ?? "application/octet-stream", outInfo))
                }
            } catch let error as ImageError {
                failure = error.message
            }
        }
        try await database.transaction(tenant) { tx in
            if let failure {
                try await repository.transition(id, on: .processingFailed, actor: actor, requestID: nil, traceContext: job.traceContext,
                                                details: ["reason": String(failure.prefix(500))], tx: tx)
            } else {
                for (spec, stored, type, info) in made {
                    try await tx.query("""
                        INSERT INTO file_variants (tenant_id, file_id, name, object_key, content_type, size, sha256, width, height)
                        VALUES (\(tenant.value), \(id.description), \(spec.name), \(stored.key.path), \(type), \(stored.size), \(stored.sha256),
                                \(info.map { Int32($0.width) }), \(info.map { Int32($0.height) }))
                        ON CONFLICT (file_id, name) DO UPDATE SET object_key = excluded.object_key, content_type = excluded.content_type,
                          size = excluded.size, sha256 = excluded.sha256, width = excluded.width, height = excluded.height
                        """, logger: job.logger)
                }
                try await repository.transition(id, on: .processed, actor: actor, requestID: nil, traceContext: job.traceContext,
                                                details: ["variants": made.map(\.0.name).joined(separator: ",")], tx: tx)
            }
            try await job.complete(on: tx)
        }
    }
}
