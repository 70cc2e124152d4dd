import Domain
import Foundation
import Storage

/// The data subjects of files: recorded at upload (the uploader, and those named by the client) and changed by
/// compliance:admin. Erasure finds a subject's files through them.
public struct Subjects: Sendable {
    let core: FileCore

    var repository: SubjectRepository { SubjectRepository(logger: core.logger) }

    /// Most subjects named on one file.
    public static let maximumNamed = 32

    /// Parses a comma-separated list of subject ids (`Upload-Subjects`, tus `subjects`): each trimmed, 1-256 bytes
    /// without control characters or commas, at most ``maximumNamed``; duplicates dropped.
    public static func parse(_ text: String?) throws -> [String] {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        var out: [String] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let id = part.trimmingCharacters(in: .whitespaces)
            try validate(id)
            if !out.contains(id) { out.append(id) }
        }
        guard out.count <= maximumNamed else { throw FileError(.invalidRequest, "at most \(maximumNamed) subjects may be named") }
        return out
    }

    /// Checks one subject id: 1-256 bytes, no control characters, no comma.
    public static func validate(_ id: String) throws {
        guard !id.isEmpty, id.utf8.count <= 256, !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "," }) else {
            throw FileError(.invalidRequest, "a subject id is 1-256 bytes without control characters or commas")
        }
    }

    /// The file's subjects (compliance:admin).
    public func list(_ id: PrefixedID, as identity: Identity) async throws -> [(id: String, role: SubjectRepository.Role)] {
        try identity.require(.complianceAdmin)
        return try await core.database.transaction(identity.tenant) { tx in
            guard try await core.fileRepository.file(id, on: tx) != nil else { throw FileError(.notFound, "no file \(id)") }
            return try await repository.subjects(of: id, on: tx)
        }
    }

    /// Replaces the subjects named on a file (its uploader stays), compliance:admin; audited with the count only.
    public func replace(_ id: PrefixedID, named: [String], as identity: Identity, requestID: String?) async throws -> [(id: String, role: SubjectRepository.Role)] {
        try identity.require(.complianceAdmin)
        for s in named { try Self.validate(s) }
        guard named.count <= Self.maximumNamed else { throw FileError(.invalidRequest, "at most \(Self.maximumNamed) subjects may be named") }
        return try await core.database.transaction(identity.tenant) { tx in
            guard let file = try await core.fileRepository.file(id, on: tx, forUpdate: true) else { throw FileError(.notFound, "no file \(id)") }
            guard file.state != .erased else { throw FileError(.illegalTransition, "file \(id) is erased") }
            try await repository.replaceNamed(Array(Set(named)), of: id, tenant: identity.tenant, on: tx)
            try await core.fileRepository.audit(file, action: "file.subjects_changed", actor: identity.subject, requestID: requestID,
                                                traceContext: nil, details: ["named": "\(Set(named).count)"], on: tx)
            return try await repository.subjects(of: id, on: tx)
        }
    }
}
