/// The subject of an X.509 certificate, read from its DER: the attributes of the subject name in order
/// (`CN`, `OU`, `O`, `L`, `ST`, `C`, others by OID), and the form the allow-list is written in,
/// `CN=scraper,O=ops` (most specific first, as RFC 4514 prints it).
public struct TLSClientSubject: Sendable, Hashable, CustomStringConvertible {
    public var attributes: [(type: String, value: String)]

    public static func == (a: Self, b: Self) -> Bool { a.description == b.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// The common name (the last, most significant one).
    public var commonName: String? { attributes.last { $0.type == "CN" }?.value }

    public var description: String { attributes.reversed().map { "\($0.type)=\($0.value)" }.joined(separator: ",") }

    /// Whether `entry` of an allow-list names this subject: the whole subject (`CN=scraper,O=ops`) or, for an
    /// entry without `=`, the common name alone.
    public func matches(_ entry: String) -> Bool {
        entry.contains("=") ? entry.replacingOccurrences(of: ", ", with: ",") == description : entry == commonName
    }

    /// Parses the subject of a DER certificate; `nil` when the bytes are not one.
    public init?(certificateDER der: [UInt8]) {
        var reader = DERReader(der[...])
        guard var certificate = reader.element(tag: 0x30), var tbs = certificate.element(tag: 0x30) else { return nil }
        if tbs.peek == 0xA0 { _ = tbs.element(tag: 0xA0) } // version
        guard tbs.element(tag: 0x02) != nil, tbs.element(tag: 0x30) != nil, // serial, signature algorithm
              tbs.element(tag: 0x30) != nil, tbs.element(tag: 0x30) != nil, // issuer, validity
              var name = tbs.element(tag: 0x30) else { return nil }
        var attributes: [(String, String)] = []
        while !name.isAtEnd {
            guard var set = name.element(tag: 0x31) else { return nil }
            while !set.isAtEnd {
                guard var pair = set.element(tag: 0x30), let oid = pair.element(tag: 0x06), let (_, value) = pair.anyElement() else { return nil }
                attributes.append((Self.name(of: Array(oid.bytes)), String(decoding: value.bytes, as: UTF8.self)))
            }
        }
        self.attributes = attributes
    }

    static func name(of oid: [UInt8]) -> String {
        let known: [[UInt8]: String] = [[0x55, 0x04, 0x03]: "CN", [0x55, 0x04, 0x0B]: "OU", [0x55, 0x04, 0x0A]: "O", [0x55, 0x04, 0x07]: "L",
                                        [0x55, 0x04, 0x08]: "ST", [0x55, 0x04, 0x06]: "C"]
        return known[oid] ?? "OID." + oid.map { String($0, radix: 16) }.joined(separator: ".")
    }
}

/// A minimal DER reader: tag, definite length, contents.
struct DERReader {
    var bytes: ArraySlice<UInt8>
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { bytes.isEmpty }
    var peek: UInt8? { bytes.first }

    /// The next element if it has `tag`, its contents as a reader.
    mutating func element(tag: UInt8) -> DERReader? {
        guard peek == tag, let (_, contents) = anyElement() else { return nil }
        return contents
    }

    mutating func anyElement() -> (tag: UInt8, contents: DERReader)? {
        guard bytes.count >= 2 else { return nil }
        let tag = bytes[bytes.startIndex]
        var index = bytes.startIndex + 1
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, bytes.endIndex - index >= count else { return nil }
            length = 0
            for _ in 0..<count { length = length << 8 | Int(bytes[index]); index += 1 }
        }
        guard length >= 0, bytes.endIndex - index >= length else { return nil }
        let contents = DERReader(bytes[index..<(index + length)])
        bytes = bytes[(index + length)...]
        return (tag, contents)
    }
}
