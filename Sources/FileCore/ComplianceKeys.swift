import Crypto
import Foundation

/// The compliance keys (`FILESTORE_COMPLIANCE_KEYS`, `kid=secret` pairs; the first is current): from each secret
/// HKDF derives an Ed25519 key that signs erasure receipts and an HMAC key that hashes data-subject ids (the
/// keyed hash that remains of a subject after erasure, and the actor digest of the audit chain). The public keys
/// are published (`GET /v1/compliance/receipt-keys`) so that a receipt verifies offline.
public struct ComplianceKeys: Sendable {
    /// One key pair.
    public struct Key: Sendable {
        public let id: String
        let signing: Curve25519.Signing.PrivateKey
        let hashing: SymmetricKey
        /// The Ed25519 public key, base64 of its 32 raw bytes.
        public var publicKeyBase64: String { signing.publicKey.rawRepresentation.base64EncodedString() }
    }

    /// The current key first, then older ones (their public keys still verify old receipts).
    public let keys: [Key]

    public init(_ pairs: [(kid: String, secret: String)]) throws {
        guard !pairs.isEmpty else { throw ComplianceKeysError(message: "no compliance keys") }
        keys = try pairs.map { pair in
            let material = SymmetricKey(data: Data(pair.secret.utf8))
            let salt = Data("filestore-compliance".utf8)
            let seed = HKDF<SHA256>.deriveKey(inputKeyMaterial: material, salt: salt, info: Data("receipt-signing-ed25519".utf8), outputByteCount: 32)
            let hashing = HKDF<SHA256>.deriveKey(inputKeyMaterial: material, salt: salt, info: Data("subject-hash-hmac".utf8), outputByteCount: 32)
            let signing = try seed.withUnsafeBytes { try Curve25519.Signing.PrivateKey(rawRepresentation: Data($0)) }
            return Key(id: pair.kid, signing: signing, hashing: hashing)
        }
    }

    public var current: Key { keys[0] }

    /// The keyed hash of a subject's id within a tenant (hex HMAC-SHA256 with the current key).
    public func subjectHash(tenant: String, subject: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(tenant)\u{0}\(subject)".utf8), using: current.hashing)
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Signs `payload` with the current key: base64 of the Ed25519 signature.
    public func sign(_ payload: Data) throws -> String {
        try current.signing.signature(for: payload).base64EncodedString()
    }

    /// The published keys: id, algorithm, base64 public key.
    public var published: [PublishedKey] { keys.map { PublishedKey(key_id: $0.id, algorithm: "Ed25519", public_key: $0.publicKeyBase64) } }

    /// A public key as published.
    public struct PublishedKey: Codable, Sendable, Hashable {
        public var key_id: String
        public var algorithm: String
        public var public_key: String
    }
}

/// The compliance keys could not be made.
public struct ComplianceKeysError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
