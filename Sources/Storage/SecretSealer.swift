import Crypto
import Foundation

/// Seals secrets the service must read back (webhook signing secrets: Standard Webhooks signs with the secret
/// itself, so it cannot be stored as a hash) with the operator's encryption keys before they are written to the
/// database, and opens them when read. AES-256-GCM with a key HKDF derives from each operator key; the sealed
/// text is `sealed:v1:<kid>:<base64 of nonce ‖ ciphertext ‖ tag>`, the key id saying which key opens it, so keys
/// rotate: the first key seals, every listed key opens, and a re-seal moves old rows to the first key.
///
/// Without keys (``none``) secrets are stored as they are, and text without the `sealed:` prefix opens as itself,
/// so rows written before keys were configured keep working until they are re-sealed.
public struct SecretSealer: Sendable {
    struct Key: Sendable {
        var id: String
        var key: SymmetricKey
    }

    let keys: [Key]

    /// No keys: secrets are stored in plain text.
    public static let none = SecretSealer(keys: [])

    init(keys: [Key]) { self.keys = keys }

    /// From the operator's keys, the current one first (`kid`, key material of 32+ bytes).
    public init(_ pairs: [(kid: String, secret: String)]) {
        keys = pairs.map { pair in
            Key(id: pair.kid, key: HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(pair.secret.utf8)),
                                                          salt: Data("filestore-secret-sealing".utf8), info: Data("aes-256-gcm".utf8),
                                                          outputByteCount: 32))
        }
    }

    static let prefix = "sealed:v1:"

    /// Whether secrets are sealed (some key is configured).
    public var isSealing: Bool { !keys.isEmpty }

    /// The key id that seals (`nil` without keys).
    public var currentKeyID: String? { keys.first?.id }

    /// `text` sealed with the current key, or `text` itself without keys. `context` (the row's id) is bound to the
    /// ciphertext as associated data, so a sealed secret copied to another row does not open there.
    public func seal(_ text: String, context: String) throws -> String {
        guard let current = keys.first else { return text }
        let box = try AES.GCM.seal(Data(text.utf8), using: current.key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw SecretSealerError(message: "AES-GCM produced no combined box") }
        return Self.prefix + current.id + ":" + combined.base64EncodedString()
    }

    /// The secret in `stored`: opened with the key its id names, or `stored` itself when it is not sealed.
    public func open(_ stored: String, context: String) throws -> String {
        guard stored.hasPrefix(Self.prefix) else { return stored }
        let rest = stored.dropFirst(Self.prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { throw SecretSealerError(message: "a sealed secret without a key id") }
        let kid = String(rest[..<colon])
        guard let key = keys.first(where: { $0.id == kid }) else {
            throw SecretSealerError(message: "a secret is sealed with key '\(kid)', which FILESTORE_ENCRYPTION_KEYS does not list")
        }
        guard let data = Data(base64Encoded: String(rest[rest.index(after: colon)...])),
              let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: key.key, authenticating: Data(context.utf8)) else {
            throw SecretSealerError(message: "a secret sealed with key '\(kid)' does not open (altered, or moved from another row)")
        }
        return String(decoding: plain, as: UTF8.self)
    }

    /// Whether `stored` is sealed with the current key (a re-seal leaves it alone); without keys, whether it is plain.
    public func isCurrent(_ stored: String) -> Bool {
        guard let current = keys.first else { return !stored.hasPrefix(Self.prefix) }
        return stored.hasPrefix(Self.prefix + current.id + ":")
    }
}

/// A sealed secret could not be opened or sealed.
public struct SecretSealerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
