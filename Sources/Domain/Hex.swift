/// Lower-case hexadecimal text of bytes: the one spelling of digests (SHA-256 of blobs, request fingerprints,
/// `Content-Digest` values) across the code.
extension Sequence where Element == UInt8 {
    /// The bytes as lower-case hex, two characters each (`[0x0a, 0xff]` → `"0aff"`).
    public var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
