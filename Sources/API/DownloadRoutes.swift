import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

/// Downloads: `GET|HEAD /v1/download/{tenant}/{file}/{variant}?exp&gen&kid&sig` (the signed URL is the
/// credential) and `GET|HEAD /v1/files/{id}/content` (bearer token). Both go through
/// FileCore's ``Downloads/openForDownload(tenant:id:variant:generation:)``, serve Range (206/416), ETag/If-None-Match (304),
/// a safe Content-Disposition and `X-Content-Type-Options: nosniff`.
struct DownloadRoutes: Sendable {
    let core: FileCore
    let signer: URLSigner
    let idempotency: Idempotency
    /// Prefixed to signed URLs when set (``APIConfiguration/publicURL``).
    let publicURL: String?
    /// Charges a signed download to its tenant once the signature verified (never before: see ``RateLimiter``).
    var limiter: RateLimiter? = nil

    struct URLRequestBody: Decodable {
        var variant: String?
        var ttl_seconds: Double?
    }

    struct SignedURL: ResponseCodable {
        var url: String
        var expires_at: Date
    }

    func addPublic(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        for method in [HTTPRequest.Method.get, .head] {
            table.on(group, prefix: "", "v1/download/:tenant/:file/:variant", method) { request, context -> Response in
                let p = context.parameters
                var query: [String: String] = [:]
                for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
                let grant = try signer.verify(method: request.method.rawValue, tenant: p.get("tenant") ?? "", file: p.get("file") ?? "",
                                              variant: p.get("variant") ?? "", query: query)
                context.facts?.tenant = grant.tenant.value
                try limiter?.admit(tenant: grant.tenant.value, .download)
                let (file, bytes) = try await core.downloads.openForDownload(tenant: grant.tenant, id: grant.file, variant: grant.variant,
                                                                      generation: grant.generation)
                return try await serve(file, bytes, request: request)
            }
        }
    }

    func addAuthenticated(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        for method in [HTTPRequest.Method.get, .head] {
            table.on(group, prefix: "v1", "files/:id/content", method) { request, context -> Response in
                let identity = try context.requireIdentity()
                try identity.require(.filesRead)
                let id = try FileRoutes.fileID(context.parameters.get("id") ?? "")
                let variant = request.uri.queryParameters["variant"].map(String.init) ?? "original"
                let (file, bytes) = try await core.downloads.openForDownload(tenant: identity.tenant, id: id, variant: variant, generation: nil)
                return try await serve(file, bytes, request: request)
            }
        }
        table.on(group, prefix: "v1", "files/:id/urls", .post) { request, context -> Response in
            let identity = try context.requireIdentity()
            let id = try FileRoutes.fileID(context.parameters.get("id") ?? "")
            var request = request
            let bytes = try await request.collectBody(upTo: context.maxUploadSize)
            let body: URLRequestBody
            do { body = try JSONDecoder().decode(URLRequestBody.self, from: Data(buffer: bytes)) } catch {
                throw FileError(.invalidRequest, "body must be a JSON object like {\"ttl_seconds\": 300, \"variant\": \"original\"}")
            }
            if let ttl = body.ttl_seconds, !(ttl > 0) { throw FileError(.invalidRequest, "ttl_seconds must be positive") }
            return try await idempotency.run(request, identity: identity, bodyBytes: bytes) {
                let signed = try await core.files.signedURL(id, variant: body.variant ?? "original", ttl: body.ttl_seconds ?? 900,
                                                            signer: signer, as: identity)
                return try Idempotency.json(SignedURL(url: Self.absolute(signed.path, base: publicURL), expires_at: signed.expires),
                                            status: .created)
            }
        }
        table.on(group, prefix: "v1", "files/:id/urls/revoke", .post) { request, context -> Response in
            let identity = try context.requireIdentity()
            let id = try FileRoutes.fileID(context.parameters.get("id") ?? "")
            return try await idempotency.run(request, identity: identity) {
                try Idempotency.json(FileResource(try await core.files.revokeURLs(id, as: identity, requestID: context.id)))
            }
        }
    }

    /// `path` under `base` (`https://files.example.com` + `/v1/download/…`), or `path` itself without one.
    static func absolute(_ path: String, base: String?) -> String {
        guard let base, !base.isEmpty else { return path }
        return (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
    }

    func serve(_ file: FileRecord, _ bytes: StoredBytes, request: Request) async throws -> Response {
        let size = bytes.size
        let etag = "\"\(bytes.sha256)\""
        var headers: HTTPFields = [
            .eTag: etag, .acceptRanges: "bytes", .xContentTypeOptions: "nosniff", .cacheControl: "private, no-cache",
            .contentDisposition: ContentDisposition.attachment(filename: file.originalName),
            .contentType: bytes.contentType,
        ]
        if let inm = request.headers[.ifNoneMatch],
           inm.split(separator: ",").contains(where: { let t = $0.trimmingCharacters(in: .whitespaces); return t == etag || t == "*" || t == "W/\(etag)" }) {
            return Response(status: .notModified, headers: [.eTag: etag])
        }
        let range = ByteRange.parse(request.headers[.range], size: size)
        let status: HTTPResponse.Status
        let byteRange: Range<Int64>?
        switch range {
        case .whole:
            status = .ok
            byteRange = nil
        case .partial(let r):
            status = .partialContent
            byteRange = r
            headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(size)"
        case .unsatisfiable:
            throw RangeNotSatisfiable(size: size)
        }
        let length = byteRange.map { $0.upperBound - $0.lowerBound } ?? size
        headers[.contentLength] = String(length)
        if request.method == .head { return Response(status: status, headers: headers) }
        let stream = try await core.downloads.read(bytes, of: file, range: byteRange)
        return Response(status: status, headers: headers, body: ResponseBody(asyncSequence: stream))
    }
}

/// 416 with the `Content-Range: bytes */size` the RFC asks for.
struct RangeNotSatisfiable: EnvelopedError {
    var size: Int64
    var status: HTTPResponse.Status { .rangeNotSatisfiable }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = ErrorEnvelope.response(FileError(.rangeNotSatisfiable, "the file has \(size) bytes"), requestID: context.id)
        response.headers[.contentRange] = "bytes */\(size)"
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}
