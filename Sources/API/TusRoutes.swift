import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

/// tus 1.0 over HTTP: `OPTIONS|POST /v1/uploads`, `HEAD|PATCH|DELETE /v1/uploads/{id}`.
/// The routes live in groups at `/v1/uploads` with ``TusResumableMiddleware``, so every answer, errors
/// included, carries `Tus-Resumable`.
struct TusRoutes: Sendable {
    let core: FileCore
    static let version = "1.0.0"
    static let extensions = "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration"

    /// OPTIONS needs no token: it only describes the server.
    func addPublic(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        table.on(group, prefix: "v1/uploads", "", .options) { _, _ -> Response in
            var headers = Self.baseHeaders()
            headers[.tusVersion] = Self.version
            headers[.tusExtension] = Self.extensions
            headers[.tusMaxSize] = String(core.configuration.maxUploadBytes)
            headers[.tusChecksumAlgorithm] = "sha1,sha256"
            return Response(status: .noContent, headers: headers)
        }
    }

    func add(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        table.on(group, prefix: "v1/uploads", "", .post) { request, context -> Response in
            let identity = try context.requireIdentity()
            try Self.checkVersion(request)
            let deferred = request.headers[.uploadDeferLength] == "1"
            let length = try Self.int(request.headers[.uploadLength], "Upload-Length")
            guard (length != nil) != deferred else {
                throw FileError(.invalidRequest, "send exactly one of Upload-Length and Upload-Defer-Length: 1")
            }
            let metadata = try TusHeaders.parseMetadata(request.headers[.uploadMetadata])
            var upload = try await core.tus.create(identity: identity, length: length, metadata: metadata)
            var headers = Self.baseHeaders(upload)
            headers[.location] = "/v1/uploads/\(upload.id)"
            // creation-with-upload: the body carries the first chunk.
            if request.headers[.contentType] == "application/offset+octet-stream" {
                upload = try await core.tus.append(identity: identity, id: upload.id, offset: 0, declaredLength: nil, body: request.body,
                                              checksum: try TusHeaders.parseChecksum(request.headers[.uploadChecksum]),
                                              requestID: context.id, traceContext: request.headers[.traceparent])
                APIMetrics.uploaded("tus", bytes: upload.offset)
                headers = Self.baseHeaders(upload)
                headers[.location] = "/v1/uploads/\(upload.id)"
            }
            return Response(status: .created, headers: headers)
        }
        table.on(group, prefix: "v1/uploads", ":id", .head) { request, context -> Response in
            let identity = try context.requireIdentity()
            try Self.checkVersion(request)
            let upload = try await core.tus.get(identity: identity, id: try Self.uploadID(context))
            var headers = Self.baseHeaders(upload)
            headers[.cacheControl] = "no-store"
            if !upload.metadata.isEmpty {
                headers[.uploadMetadata] = upload.metadata.sorted { $0.key < $1.key }
                    .map { "\($0.key) \(Data($0.value.utf8).base64EncodedString())" }.joined(separator: ",")
            }
            return Response(status: .ok, headers: headers)
        }
        table.on(group, prefix: "v1/uploads", ":id", .patch) { request, context -> Response in
            let identity = try context.requireIdentity()
            try Self.checkVersion(request)
            guard request.headers[.contentType] == "application/offset+octet-stream" else {
                throw FileError(.unsupportedMediaType, "PATCH needs Content-Type: application/offset+octet-stream")
            }
            guard let offset = try Self.int(request.headers[.uploadOffset], "Upload-Offset") else {
                throw FileError(.invalidRequest, "Upload-Offset is required")
            }
            let upload = try await core.tus.append(identity: identity, id: try Self.uploadID(context), offset: offset,
                                              declaredLength: try Self.int(request.headers[.uploadLength], "Upload-Length"),
                                              body: request.body, checksum: try TusHeaders.parseChecksum(request.headers[.uploadChecksum]),
                                              requestID: context.id, traceContext: request.headers[.traceparent])
            APIMetrics.uploaded("tus", bytes: upload.offset - offset)
            return Response(status: .noContent, headers: Self.baseHeaders(upload))
        }
        table.on(group, prefix: "v1/uploads", ":id", .delete) { request, context -> Response in
            let identity = try context.requireIdentity()
            try Self.checkVersion(request)
            try await core.tus.terminate(identity: identity, id: try Self.uploadID(context))
            return Response(status: .noContent, headers: Self.baseHeaders())
        }
    }

    static func baseHeaders(_ upload: UploadRecord? = nil) -> HTTPFields {
        var headers: HTTPFields = [.tusResumable: version]
        guard let upload else { return headers }
        headers[.uploadOffset] = String(upload.offset)
        if let length = upload.length { headers[.uploadLength] = String(length) } else { headers[.uploadDeferLength] = "1" }
        if upload.fileID == nil { headers[.uploadExpires] = httpDate(upload.expiresAt) }
        if let file = upload.fileID { headers[.filestoreFileID] = file.description }
        return headers
    }

    static func httpDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }

    static func checkVersion(_ request: Request) throws {
        guard request.headers[.tusResumable] == version else { throw TusVersionError() }
    }

    static func int(_ text: String?, _ name: String) throws -> Int64? {
        guard let text else { return nil }
        guard let n = Int64(text), n >= 0 else { throw FileError(.invalidRequest, "\(name) must be a non-negative integer") }
        return n
    }

    static func uploadID(_ context: FileRequestContext) throws -> PrefixedID {
        let text = context.parameters.get("id") ?? ""
        guard let id = PrefixedID(parsing: text, as: .upload) else { throw FileError(.invalidID, "'\(text.prefix(64))' is not an upload id (upl_…)") }
        return id
    }
}

/// 412 with the versions the server speaks.
struct TusVersionError: EnvelopedError {
    var status: HTTPResponse.Status { .preconditionFailed }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = ErrorEnvelope.response(FileError(.tusVersionUnsupported, "Tus-Resumable must be \(TusRoutes.version)"), requestID: context.id)
        response.headers[.tusVersion] = TusRoutes.version
        response.headers[.tusResumable] = TusRoutes.version
        return response
    }
}

extension HTTPField.Name {
    static let tusResumable = Self("Tus-Resumable")!
    static let tusVersion = Self("Tus-Version")!
    static let tusExtension = Self("Tus-Extension")!
    static let tusMaxSize = Self("Tus-Max-Size")!
    static let tusChecksumAlgorithm = Self("Tus-Checksum-Algorithm")!
    static let uploadOffset = Self("Upload-Offset")!
    static let uploadLength = Self("Upload-Length")!
    static let uploadDeferLength = Self("Upload-Defer-Length")!
    static let uploadMetadata = Self("Upload-Metadata")!
    static let uploadExpires = Self("Upload-Expires")!
    static let uploadChecksum = Self("Upload-Checksum")!
    static let filestoreFileID = Self("Filestore-File-Id")!
}
