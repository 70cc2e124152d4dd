import Foundation

/// The kinds of identifier filestore hands out, each with its prefix (held by CHECK constraints too).
public enum IDKind: String, Sendable, CaseIterable {
    case file = "med"
    case upload = "upl"
    case variant = "var"
    case scan = "scn"
    case grant = "sgn"
    case erasure = "dsr"
    case retention = "ret"
    case audit = "aud"
    case event = "evt"
    case tenant = "ten"
    case webhook = "whk"
}

/// An identifier such as `med_01JD2X…`: a prefix, then 26 Crockford base-32 characters encoding a 48-bit
/// millisecond timestamp and 80 random bits (ULID layout). Time-ordered (ids sort by creation), unguessable
/// (80 bits from the system's CSPRNG), and safe in URLs, paths and logs.
public struct PrefixedID: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let kind: IDKind
    /// The 26-character body after `prefix_`.
    public let body: String

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new id of `kind`, stamped with `now`.
    public init<R: RandomNumberGenerator>(_ kind: IDKind, now: Date = Date(), using random: inout R) {
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000)) & 0xFFFF_FFFF_FFFF
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(i))) }
        for i in 6..<16 { bytes[i] = UInt8.random(in: 0...255, using: &random) }
        self.kind = kind
        self.body = Self.encode(bytes)
    }

    /// A new id of `kind` with system randomness.
    public init(_ kind: IDKind, now: Date = Date()) {
        var rng = SystemRandomNumberGenerator()
        self.init(kind, now: now, using: &rng)
    }

    /// Parses `prefix_BODY`; `nil` unless the prefix is `kind`'s and the body is 26 valid characters.
    public init?(parsing text: String, as kind: IDKind) {
        let prefix = kind.rawValue + "_"
        guard text.hasPrefix(prefix) else { return nil }
        let body = String(text.dropFirst(prefix.count))
        guard body.utf8.count == 26, body.utf8.allSatisfy({ Self.alphabet.contains($0) }),
              let first = body.utf8.first, first <= UInt8(ascii: "7") else { return nil }
        self.kind = kind
        self.body = body
    }

    public var description: String { "\(kind.rawValue)_\(body)" }

    /// The creation time encoded in the id (millisecond precision).
    public var timestamp: Date {
        var ms: UInt64 = 0
        for c in body.utf8.prefix(10) { ms = ms << 5 | UInt64(Self.alphabet.firstIndex(of: c)!) }
        return Date(timeIntervalSince1970: Double(ms) / 1000)
    }

    public static func < (a: PrefixedID, b: PrefixedID) -> Bool { a.description < b.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let kind = IDKind.allCases.first(where: { text.hasPrefix($0.rawValue + "_") }),
              let id = PrefixedID(parsing: text, as: kind) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an id: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// 128 bits → 26 base-32 characters (the top two bits of the first character are zero).
    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(26)
        // Treat the 16 bytes as a 130-bit number with two leading zero bits.
        var bits: UInt32 = 0, count = 2
        for byte in bytes {
            bits = bits << 8 | UInt32(byte)
            count += 8
            while count >= 5 {
                count -= 5
                out.append(alphabet[Int((bits >> UInt32(count)) & 31)])
            }
            bits &= (1 << UInt32(count)) - 1
        }
        if count > 0 { out.append(alphabet[Int((bits << UInt32(5 - count)) & 31)]) }
        return String(decoding: out.prefix(26), as: UTF8.self)
    }
}
