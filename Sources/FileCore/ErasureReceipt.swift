import Crypto
import Foundation
import Storage

/// The receipt of a finished erasure request: one document listing each store touched, each item, the method,
/// the time and a verification that the item is gone, signed with Ed25519 so that a third party verifies it
/// offline with the service's published public key. The signed bytes are the canonical JSON of ``Body``
/// (sorted keys); the document carries them in base64 beside the readable body, so any Ed25519 tool verifies it.
public struct ErasureReceipt: Codable, Sendable {
    /// What the receipt states.
    public struct Body: Codable, Sendable, Hashable {
        public var receipt_version: Int
        public var service: String
        public var request_id: String
        public var tenant_id: String
        /// The keyed hash of the subject (HMAC-SHA256 with the service's compliance key): the subject itself is gone.
        public var subject_hash: String
        public var scope: String
        public var reason: String
        public var reference: String?
        public var received_at: String
        public var completed_at: String
        public var state: String
        public var stores: [Store]
        public var items: [Item]
        /// The kept items again, with their legal basis: what was not erased and why.
        public var exceptions: [Item]
    }

    /// One store the erasure touched, with how many items of each method.
    public struct Store: Codable, Sendable, Hashable {
        public var store: String
        public var deleted: Int
        public var overwritten: Int
        public var kept: Int
    }

    /// One item: what, where, how, when, and the check that it is gone.
    public struct Item: Codable, Sendable, Hashable {
        public var store: String
        public var item: String
        public var method: String
        public var basis: String?
        public var at: String
        public var verification: String
    }

    /// The signature block: algorithm, key id, the public key, the signed payload (base64 of the canonical JSON of
    /// the body) and the signature over those bytes.
    public struct Signature: Codable, Sendable, Hashable {
        public var algorithm: String
        public var key_id: String
        public var public_key: String
        public var payload: String
        public var signature: String
    }

    public var receipt: Body
    public var signature: Signature

    /// The canonical bytes of a body: JSON with sorted keys, no insignificant whitespace, slashes unescaped.
    public static func canonical(_ body: Body) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(body)
    }

    /// Builds the body of a receipt from a finished request's items.
    public static func body(request r: ErasureRequestRecord, items: [ErasureItem], state: ErasureRequestRecord.State,
                            completedAt: Date) -> Body {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let list = items.map { Item(store: $0.store, item: $0.item, method: $0.method.rawValue, basis: $0.basis, at: iso.string(from: $0.at),
                                    verification: $0.verification) }
        var stores: [String: Store] = [:]
        for item in items {
            var s = stores[item.store] ?? Store(store: item.store, deleted: 0, overwritten: 0, kept: 0)
            switch item.method {
            case .deleted: s.deleted += 1
            case .overwritten: s.overwritten += 1
            case .kept: s.kept += 1
            }
            stores[item.store] = s
        }
        return Body(receipt_version: 1, service: "filestore", request_id: r.id.description, tenant_id: r.tenant.value,
                    subject_hash: r.subjectHash, scope: r.scope.rawValue, reason: r.reason, reference: r.reference,
                    received_at: iso.string(from: r.receivedAt), completed_at: iso.string(from: completedAt), state: state.rawValue,
                    stores: stores.values.sorted { $0.store < $1.store }, items: list, exceptions: list.filter { $0.method == "kept" })
    }

    /// A receipt document from the stored payload and signature.
    public init(payload: String, signature: String, keyID: String, publicKey: String) throws {
        receipt = try JSONDecoder().decode(Body.self, from: Data(payload.utf8))
        self.signature = Signature(algorithm: "Ed25519", key_id: keyID, public_key: publicKey,
                                   payload: Data(payload.utf8).base64EncodedString(), signature: signature)
    }

    /// Why a receipt does not verify.
    public struct VerificationError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Verifies the document offline: the signature over the payload with `trustedKeys` (base64 Ed25519 public keys
    /// by key id; `nil`: the key the document names, which the caller should compare with the published one), and
    /// that the readable body says exactly what the signed payload says.
    public func verify(trustedKeys: [String: String]? = nil) throws {
        guard signature.algorithm == "Ed25519" else { throw VerificationError(message: "unknown algorithm \(signature.algorithm)") }
        let keyText: String
        if let trustedKeys {
            guard let trusted = trustedKeys[signature.key_id] else {
                throw VerificationError(message: "key \(signature.key_id) is not among the trusted keys")
            }
            guard trusted == signature.public_key else {
                throw VerificationError(message: "the document's public key for \(signature.key_id) is not the trusted one")
            }
            keyText = trusted
        } else {
            keyText = signature.public_key
        }
        guard let keyData = Data(base64Encoded: keyText), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: keyData) else {
            throw VerificationError(message: "the public key is not a base64 Ed25519 key")
        }
        guard let payload = Data(base64Encoded: signature.payload), let sig = Data(base64Encoded: signature.signature) else {
            throw VerificationError(message: "payload or signature is not base64")
        }
        guard key.isValidSignature(sig, for: payload) else { throw VerificationError(message: "the signature does not verify: the receipt was altered or signed by another key") }
        guard let signed = try? JSONDecoder().decode(Body.self, from: payload), signed == receipt else {
            throw VerificationError(message: "the readable receipt differs from the signed payload")
        }
    }
}
