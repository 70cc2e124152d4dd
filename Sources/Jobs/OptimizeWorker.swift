import Domain
import FileCore
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
    public typealias Args = OptimizeFile

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

    /// Output formats a variant may name.
    public static let formats = ["jpg", "png", "webp", "gif", "avif", "heic", "tif"]

    /// Parses a variant list such as `thumb:256:webp,preview:1600:webp,scrubbed` (the form of
    /// `FILESTORE_VARIANTS`): `name[:size[:format]]`, where a missing size or `full` keeps the full size (a
    /// scrubbed copy) and a missing format or `original` keeps the original's. `scrubbed` must be among them, at
    /// full size in the original format: downloads of an image's `original` serve it.
    public static func parseVariants(_ text: String) throws -> [VariantSpec] {
        var seen: Set<String> = []
        let specs = try text.split(separator: ",").map { part -> VariantSpec in
            let bits = part.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let name = bits[0]
            guard bits.count <= 3, name.count <= 32, !name.isEmpty, name != "original",
                  name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw VariantSpecError("'\(part)': expected name[:size[:format]] with a name of a-z, 0-9, _ or - (not 'original')")
            }
            guard seen.insert(name).inserted else { throw VariantSpecError("variant '\(name)' is named twice") }
            var size: Int?
            if bits.count > 1, bits[1] != "full", !bits[1].isEmpty {
                guard let n = Int(bits[1]), (16...10_000).contains(n) else { throw VariantSpecError("'\(part)': size must be 16…10000 or 'full'") }
                size = n
            }
            var suffix: String?
            if bits.count > 2, bits[2] != "original", !bits[2].isEmpty {
                guard formats.contains(bits[2]) else { throw VariantSpecError("'\(part)': format must be one of \(formats.joined(separator: ", ")) or 'original'") }
                suffix = "." + bits[2]
            }
            return VariantSpec(name: name, size: size, suffix: suffix)
        }
        // An image's original is served as its scrubbed copy, so that copy is not optional.
        guard specs.contains(where: { $0.name == "scrubbed" && $0.size == nil && $0.suffix == nil }) else {
            throw VariantSpecError("'scrubbed' (full size, original format) is required: an image's original is only ever served as it")
        }
        return specs
    }

    /// Defaults: `thumb` 256 px WebP, `preview` 1600 px WebP, `scrubbed` full size in the original format.
    public static let defaultVariants = [
        VariantSpec(name: "thumb", size: 256, suffix: ".webp"), VariantSpec(name: "preview", size: 1600, suffix: ".webp"),
        VariantSpec(name: "scrubbed", size: nil, suffix: nil),
    ]

    let images: ImageProcessor
    let core: FileCore
    let variants: [VariantSpec]
    let typeMismatch: TypeMismatchPolicy
    public let options: JobWorkerOptions

    public init(images: ImageProcessor, core: FileCore, variants: [VariantSpec] = OptimizeWorker.defaultVariants,
                typeMismatch: TypeMismatchPolicy = .sniffed,
                options: JobWorkerOptions = JobWorkerOptions(timeout: .seconds(300), retryPolicy: RetryPolicy(base: .seconds(5)))) {
        self.images = images
        self.core = core
        self.variants = variants
        self.typeMismatch = typeMismatch
        self.options = options
    }

    /// The image types processed (by sniffed type) and the suffix, hence format, of their scrubbed copy.
    static let suffixes = ["image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif",
                           "image/avif": ".avif", "image/heic": ".heic", "image/tiff": ".tif"]
    static let types = Dictionary(uniqueKeysWithValues: suffixes.map { ($1, $0) })

    /// A variant list that cannot be parsed.
    public struct VariantSpecError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = "invalid FILESTORE_VARIANTS: " + description }
    }

    /// A variant that still carries metadata after it was written: a defect, never served (the job retries,
    /// then lands in the dead-letter queue for an SRE).
    struct MetadataLeft: Error, CustomStringConvertible {
        var variant: String
        var report: MetadataReport
        var description: String { "variant '\(variant)' still carries metadata after scrubbing (\(report)); it is not stored or served" }
    }

    public func work(_ job: Job<Args>) async throws {
        let (tenant, id) = try job.fileIDs("optimize")
        let actor = "job:optimize"
        let (file, unscrubbable) = try await cancellingIfMovedOn(id, "optimize") {
            try await core.pipeline.beginOptimize(id, tenant: tenant, actor: actor, traceContext: job.traceContext)
        }
        let blobs = TenantBlobs(tenant: tenant, store: core.blobs)
        var made: [(VariantSpec, BlobInfo, String, ImageInfo?)] = []
        var failure: String?
        var metadata: Pipeline.MetadataOutcome?
        if file.typeMismatch && typeMismatch == .fail {
            failure = "declared type \(file.declaredType ?? "-") disagrees with the content (\(file.contentType ?? "unknown")); policy: fail"
        } else if let type = file.contentType, let originalSuffix = Self.suffixes[type] {
            do {
                made = try await blobs.withLocalFile(file.objectKey) { original in
                    let found = try await images.inspectMetadata(original).personal
                    metadata = Pipeline.MetadataOutcome(found: found.sorted().map(\.rawValue), scrubbed: true)
                    return try await makeVariants(of: original, suffix: originalSuffix, file: id, blobs: blobs)
                }
            } catch let error as ImageError {
                failure = error.message
            }
        } else {
            // Served as uploaded: what it carries is reported, and the tenant's policy decides whether it is served.
            let found = try await blobs.withLocalFile(file.objectKey) { try await images.inspectPersonalMetadata($0) }.sorted().map(\.rawValue)
            if !found.isEmpty && unscrubbable == .fail {
                failure = "the file carries personal metadata (\(found.joined(separator: ", "))) that the service cannot remove from "
                    + "\(file.contentType ?? "this type"); tenant policy for unscrubbable metadata: fail"
            }
            metadata = Pipeline.MetadataOutcome(found: found, scrubbed: false)
        }
        do {
            try await cancellingIfMovedOn(id, "optimize") {
                if let failure {
                    // A failed file has no variants (``makeVariants`` removed what it had stored).
                    job.logger.warning("file failed in optimize", metadata: ["file_id": "\(id)", "reason": "\(failure.prefix(500))"])
                    try await core.pipeline.recordProcessingFailed(id, tenant: tenant, reason: failure, actor: actor,
                                                                   traceContext: job.traceContext, commit: job.commit)
                } else {
                    let variants = made.map { spec, stored, type, info in
                        Pipeline.StoredVariant(name: spec.name, stored: stored, contentType: type, width: info?.width, height: info?.height)
                    }
                    try await core.pipeline.recordProcessed(id, tenant: tenant, variants: variants, metadata: metadata, actor: actor,
                                                            traceContext: job.traceContext, commit: job.commit)
                }
            }
        } catch let cancel as JobCancel {
            // Deleted while it was being processed: the purge may already have run, so remove what was just
            // stored rather than leave it behind, and stop.
            for (_, stored, _, _) in made { try? await blobs.delete(stored.key) }
            throw cancel
        }
    }

    /// Makes every configured variant of the image at `original` and stores it; a variant that still carries
    /// metadata is never stored. Stored variants are removed again if a later one fails.
    func makeVariants(of original: String, suffix originalSuffix: String, file id: PrefixedID,
                      blobs: TenantBlobs) async throws -> [(VariantSpec, BlobInfo, String, ImageInfo?)] {
        var made: [(VariantSpec, BlobInfo, String, ImageInfo?)] = []
        do {
            guard let info = try await images.probe(original) else { throw ImageError("not a decodable image") }
            try images.check(info)
            for spec in variants {
                let suffix = spec.suffix ?? originalSuffix
                let scratch = blobs.scratchPath(suffix: suffix)
                defer { try? FileManager.default.removeItem(atPath: scratch) } // moved into the store on success
                if let size = spec.size {
                    try await images.thumbnail(original, to: scratch, size: size)
                } else {
                    try await images.scrub(original, to: scratch)
                }
                // Checked on the bytes about to be stored, with libexif: nothing with metadata is ever served.
                let report = try await images.inspectMetadata(scratch)
                guard report.isClean else { throw MetadataLeft(variant: spec.name, report: report) }
                let outInfo = try await images.probe(scratch)
                let stored = try await blobs.importFile(scratch, as: ObjectKey(tenant: blobs.tenant, file: id, name: spec.name))
                made.append((spec, stored, Self.types[suffix] ?? "application/octet-stream", outInfo))
            }
            return made
        } catch let error as ImageError {
            // Variants stored before the failure are not kept: a failed file has none.
            for (_, stored, _, _) in made { try? await blobs.delete(stored.key) }
            throw error
        }
    }
}
