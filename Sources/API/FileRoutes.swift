import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

/// `/v1/files`: upload, list, get, delete.
struct FileRoutes: Sendable {
    let core: FileCore
    let idempotency: Idempotency

    func add(to group: RouterGroup<FileRequestContext>, table: RouteTable) {
        table.on(group, prefix: "v1", "files", .post) { request, context -> Response in
            let identity = try context.requireIdentity()
            let upload = try Self.uploadRequest(request, context: context)
            return try await idempotency.run(request, identity: identity) {
                let file = try await core.uploads.upload(request.body, as: identity, upload)
                APIMetrics.uploaded("direct", bytes: file.size ?? 0)
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
            let page = try await core.files.list(after: cursor, state: state, limit: limit, as: identity)
            return FilePage(files: page.files.map { FileResource($0.file, variants: $0.variants) }, next_cursor: page.nextCursor?.description)
        }
        table.on(group, prefix: "v1", "files/:id", .get) { _, context -> FileResource in
            let identity = try context.requireIdentity()
            let (file, variants) = try await core.files.details(try Self.fileID(context.parameters.get("id") ?? ""), as: identity)
            return FileResource(file, variants: variants)
        }
        table.on(group, prefix: "v1", "files/:id", .delete) { request, context -> Response in
            let identity = try context.requireIdentity()
            let id = try Self.fileID(context.parameters.get("id") ?? "")
            return try await idempotency.run(request, identity: identity) {
                try Idempotency.json(FileResource(try await core.files.delete(id, as: identity, requestID: context.id,
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
                    try Idempotency.json(FileResource(try await core.quarantine.resolve(
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

    static func uploadRequest(_ request: Request, context: FileRequestContext) throws -> Uploads.Request {
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
        let subjects = try Subjects.parse(headers[.uploadSubjects])
        let retentionClass = headers[.uploadRetentionClass]?.trimmingCharacters(in: .whitespaces)
        if let retentionClass, !RetentionClass.isValidName(retentionClass) {
            throw FileError(.invalidRequest, "Upload-Retention-Class must name a retention class (a-z 0-9 _)")
        }
        return .init(declaredLength: length, declaredType: headers[.contentType], originalName: name, expectedSHA256: sha,
                     requestID: context.id, traceContext: headers[.traceparent], subjects: subjects, retentionClass: retentionClass)
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
            return data.hexString
        }
        return nil
    }
}
