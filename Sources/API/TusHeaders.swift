import Domain
import Foundation
import Storage

/// The tus request headers that carry more than a number.
enum TusHeaders {
    /// Parses `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
    public static func parseMetadata(_ header: String?) throws -> [String: String] {
        guard let header, !header.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in header.split(separator: ",") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            guard let key = parts.first, !key.isEmpty, key.utf8.count <= 255,
                  key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
                throw FileError(.invalidRequest, "Upload-Metadata is malformed")
            }
            if parts.count == 2 {
                guard let data = Data(base64Encoded: parts[1]), let value = String(data: data, encoding: .utf8) else {
                    throw FileError(.invalidRequest, "Upload-Metadata value of '\(key.prefix(64))' is not base64 UTF-8")
                }
                try InputRules.checkStorable(value, source: "Upload-Metadata value of '\(key.prefix(64))'")
                result[key] = value
            } else {
                result[key] = ""
            }
        }
        // The name and type become the file's own, under the same rules as a direct upload's.
        if let name = result["filename"] { try InputRules.checkFileName(name, source: "Upload-Metadata filename") }
        if let type = result["filetype"], type.utf8.count > 255 || type.unicodeScalars.contains(where: InputRules.isControl) {
            throw FileError(.invalidRequest, "Upload-Metadata filetype must be a media type of at most 255 bytes")
        }
        return result
    }

    /// Parses `Upload-Checksum: <algorithm> <base64>`.
    public static func parseChecksum(_ header: String?) throws -> ChunkChecksum? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2, let algorithm = ChunkChecksum.Algorithm(rawValue: parts[0].lowercased()) else {
            throw FileError(.invalidRequest, "Upload-Checksum must be 'sha1 <base64>' or 'sha256 <base64>'")
        }
        guard let digest = Data(base64Encoded: parts[1]), digest.count == (algorithm == .sha1 ? 20 : 32) else {
            throw FileError(.invalidRequest, "Upload-Checksum digest is not base64 of the right length")
        }
        return ChunkChecksum(algorithm: algorithm, digest: digest)
    }
}
