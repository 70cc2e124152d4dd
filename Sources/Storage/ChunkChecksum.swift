import Foundation

/// A chunk checksum a client sent (tus checksum extension).
public struct ChunkChecksum: Sendable, Hashable {
    public enum Algorithm: String, Sendable, CaseIterable { case sha1, sha256 }
    public var algorithm: Algorithm
    public var digest: Data
    public init(algorithm: Algorithm, digest: Data) {
        self.algorithm = algorithm
        self.digest = digest
    }
}

/// The chunk's bytes did not match its checksum; the chunk was discarded.
public struct ChunkChecksumMismatch: Error, Sendable {
    public init() {}
}
