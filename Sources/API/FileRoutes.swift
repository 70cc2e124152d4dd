import Domain
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

/// A file as the API returns it.
public struct FileResource: ResponseCodable, Sendable, Hashable {
    public var id: String
    public var state: String
    public var name: String?
    public var size: Int64?
    public var sha256: String?
    public var content_type: String?
    public var declared_content_type: String?
    /// Whether `declared_content_type` disagrees with the type sniffed from the bytes (`content_type`, which is
    /// what the file is served as).
    public var type_mismatch: Bool
    /// The virus scan's verdict.
    public var scan: ScanResource
    /// Stored variants (`thumb`, `preview`, `scrubbed` for images), once the file is optimized.
    public var variants: [VariantResource]
    public var created_at: Date
    public var updated_at: Date

    /// The scan's verdict: `pending`, `clean`, `infected` (with the signature) or `limit_exceeded` (a scan limit
    /// was hit; the file follows the limit policy).
    public struct ScanResource: Codable, Sendable, Hashable {
        public var status: String
        public var signature: String?
        public var scanned_at: Date?
    }

    public struct VariantResource: Codable, Sendable, Hashable {
        public var name: String
        public var content_type: String
        public var size: Int64
        public var sha256: String
        public var width: Int?
        public var height: Int?
    }

    init(_ f: FileRecord, variants: [VariantInfo] = []) {
        id = f.id.description
        state = f.state.rawValue
        name = f.originalName
        size = f.size
        sha256 = f.sha256
        content_type = f.contentType
        declared_content_type = f.declaredType
        type_mismatch = f.typeMismatch
        let status = f.scannedAt == nil ? "pending"
            : f.scanSignature == nil ? "clean"
            : f.scanSignature!.hasPrefix("Heuristics.Limits.Exceeded") ? "limit_exceeded" : "infected"
        scan = ScanResource(status: status, signature: f.scanSignature, scanned_at: f.scannedAt)
        self.variants = variants.map {
            VariantResource(name: $0.name, content_type: $0.contentType, size: $0.size, sha256: $0.sha256, width: $0.width, height: $0.height)
        }
        created_at = f.createdAt
        updated_at = f.updatedAt
    }
}

/// A page of files.
public struct FilePage: ResponseCodable, Sendable {
    public var files: [FileResource]
    /// Pass as `cursor` for the next page; `null` on the last page.
    public var next_cursor: String?
}

/// `/v1/files`: upload, list, get, delete.
public struct FileRoutes: Sendable {
    let service: FileService
    let idempotency: Idempotency

    public init(service: FileService, idempotency: Idempotency) {
        self.service = service
        self.idempotency = idempotency
    }

    func add(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        table.on(group, prefix: "v1", "files", .post) { request, context -> Response in
            let identity = try context.requireIdentity()
            let upload = try Self.uploadRequest(request, context: context)
            return try await idempotency.run(request, identity: identity) {
                let file = try await service.upload(request.body, as: identity, upload)
                return try Idempotency.json(FileResource(file), status: .created, location: "/v1/files/\(file.id)")
            }
        }
        table.on(group, prefix: "v1", "files", .get) { request, context -> FilePage in
            let identity = try context.requireIdentity()
            let q = request.uri.queryParameters
            let limit = try q["limit"].map { text -> Int in
                guard let n = Int(String(text)), n > 0 else { throw FileError(.invalidRequest, "limit must be a positive integer") }
                return n
            } ?? 50
            let cursor = try q["cursor"].map { try Self.fileID(String($0)) }
            let state = try q["state"].map { text -> FileState in
                guard let s = FileState(rawValue: String(text)) else {
                    throw FileError(.invalidRequest, "unknown state '\(text)'; states are \(FileState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return s
            }
            let files = try await service.listWithVariants(after: cursor, state: state, limit: limit, as: identity)
            let full = files.count == min(limit, service.configuration.maxPageSize)
            return FilePage(files: files.map { FileResource($0.0, variants: $0.1) }, next_cursor: full ? files.last?.0.id.description : nil)
        }
        table.on(group, prefix: "v1", "files/:id", .get) { _, context -> FileResource in
            let identity = try context.requireIdentity()
            let (file, variants) = try await service.details(try Self.fileID(context.parameters.get("id") ?? ""), as: identity)
            return FileResource(file, variants: variants)
        }
        table.on(group, prefix: "v1", "files/:id", .delete) { request, context -> Response in
            let identity = try context.requireIdentity()
            let id = try Self.fileID(context.parameters.get("id") ?? "")
            return try await idempotency.run(request, identity: identity) {
                try Idempotency.json(FileResource(try await service.delete(id, as: identity, requestID: context.id,
                                                                           traceContext: request.headers[.traceparent])))
            }
        }
    }

    struct OverrideBody: Decodable { var reason: String? }

    func addCompliance(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        for (action, release) in [("release", true), ("confirm", false)] {
            table.on(group, prefix: "v1", "files/:id/quarantine/\(action)", .post) { request, context -> Response in
                let identity = try context.requireIdentity()
                try identity.require(.complianceAdmin)
                let id = try Self.fileID(context.parameters.get("id") ?? "")
                var request = request
                let bytes = try await request.collectBody(upTo: context.maxUploadSize)
                guard let body = try? JSONDecoder().decode(OverrideBody.self, from: Data(buffer: bytes)), let reason = body.reason else {
                    throw FileError(.invalidRequest, "body must be {\"reason\": \"…\"}")
                }
                return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                    try Idempotency.json(FileResource(try await service.resolveQuarantine(
                        id, release: release, reason: reason, actor: identity.subject, tenant: identity.tenant,
                        requestID: context.id, traceContext: request.headers[.traceparent])))
                }
            }
        }
    }

    static func fileID(_ text: String) throws -> PrefixedID {
        guard let id = PrefixedID(parsing: text, as: .file) else {
            throw FileError(.invalidID, "'\(text.prefix(64))' is not a file id (med_…)")
        }
        return id
    }

    static func uploadRequest(_ request: Request, context: FileRequestContext) throws -> FileService.UploadRequest {
        let headers = request.headers
        var length: Int64?
        if let text = headers[.contentLength] {
            guard let n = Int64(text), n >= 0 else { throw FileError(.invalidRequest, "Content-Length is not a number") }
            length = n
        }
        var sha: String?
        if let digest = headers[.contentDigest] {
            sha = try parseContentDigest(digest)
        }
        let name = headers[.uploadFilename] ?? request.uri.queryParameters["name"].map(String.init)
        if let name, name.utf8.count > 255 || name.contains(where: { $0.isNewline || $0 == "\0" }) {
            throw FileError(.invalidRequest, "file name must be at most 255 bytes without control characters")
        }
        return .init(declaredLength: length, declaredType: headers[.contentType], originalName: name, expectedSHA256: sha,
                     requestID: context.id, traceContext: headers[.traceparent])
    }

    /// `sha-256=:BASE64:` (RFC 9530) → lower-case hex; other algorithms are ignored, a malformed value refused.
    static func parseContentDigest(_ header: String) throws -> String? {
        for part in header.split(separator: ",") {
            let item = part.trimmingCharacters(in: .whitespaces)
            guard item.lowercased().hasPrefix("sha-256=") else { continue }
            let value = item.dropFirst("sha-256=".count)
            guard value.hasPrefix(":"), value.hasSuffix(":"), value.count > 2,
                  let data = Data(base64Encoded: String(value.dropFirst().dropLast())), data.count == 32 else {
                throw FileError(.invalidRequest, "Content-Digest sha-256 must be :base64 of 32 bytes:")
            }
            return data.map { String(format: "%02x", $0) }.joined()
        }
        return nil
    }
}

/// Builds the file API's router: ops endpoints and signed downloads, then `/v1` behind authentication;
/// every error in the uniform envelope.
public func makeFileAPIRouter(service: FileService, keys: TokenKeys, signer: URLSigner, ops: OpsRoutes,
                              limiter: RateLimiter = RateLimiter(), table: RouteTable = RouteTable()) -> Router<FileRequestContext> {
    let router = Router(context: FileRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: ErrorMiddleware())
    ops.add(to: router, table: table)
    let idempotency = Idempotency(database: service.database)
    let downloads = DownloadRoutes(service: service, signer: signer, idempotency: idempotency)
    let public_ = router.group("").add(middleware: RateLimitMiddleware(limiter: limiter))
    downloads.addPublic(to: public_, table: table)
    let tus = TusRoutes(tus: TusService(files: service))
    tus.addPublic(to: public_, table: table)
    let v1 = router.group("v1").add(middleware: AuthMiddleware(keys: keys)).add(middleware: RateLimitMiddleware(limiter: limiter))
    let files = FileRoutes(service: service, idempotency: idempotency)
    files.add(to: v1, table: table)
    files.addCompliance(to: v1, table: table)
    downloads.addAuthenticated(to: v1, table: table)
    tus.add(to: v1, table: table)
    return router
}
