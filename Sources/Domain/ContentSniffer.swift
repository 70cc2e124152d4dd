/// Recognises a file's type from its first bytes (never from its name or the client's claim).
public enum ContentSniffer {
    /// How many leading bytes `sniff` looks at.
    public static let prefixLength = 32

    /// The media type of `prefix`, or `application/octet-stream`.
    public static func sniff(_ prefix: [UInt8]) -> String {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            prefix.count >= offset + magic.count && Array(prefix[offset..<(offset + magic.count)]) == magic
        }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        // TIFF (and BigTIFF), little- and big-endian: what cameras, scanners and DNG files start with.
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) || starts([0x49, 0x49, 0x2B, 0x00])
            || starts([0x4D, 0x4D, 0x00, 0x2B]) { return "image/tiff" }
        // JPEG XL: a bare codestream or the ISO BMFF container.
        if starts([0xFF, 0x0A]) || starts([0x00, 0x00, 0x00, 0x0C, 0x4A, 0x58, 0x4C, 0x20, 0x0D, 0x0A, 0x87, 0x0A]) { return "image/jxl" }
        if starts(Array("ftyp".utf8), at: 4) { return isoBrand(prefix) }
        if starts(Array("%PDF-".utf8)) { return "application/pdf" }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return "application/zip" }
        if starts([0x1F, 0x8B]) { return "application/gzip" }
        if !prefix.isEmpty, prefix.allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || ($0 >= 32 && $0 < 127) || $0 >= 0x80 }) {
            return "text/plain"
        }
        return "application/octet-stream"
    }

    /// An ISO base media file (`ftyp` box) by its major and compatible brands, as far as the prefix holds them:
    /// AVIF, HEIC/HEIF, QuickTime, else MP4.
    static func isoBrand(_ prefix: [UInt8]) -> String {
        let boxSize = prefix.count >= 4 ? Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3]) : 0
        let end = min(prefix.count, max(12, boxSize))
        var brands: [String] = []
        var at = 8
        while at + 4 <= end {
            if at != 12 { brands.append(String(decoding: prefix[at..<(at + 4)], as: UTF8.self)) } // 12…15: minor version
            at += 4
        }
        let major = brands.first ?? ""
        if ["avif", "avis"].contains(major) { return "image/avif" }
        let heif: Set<String> = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"]
        if heif.contains(major) { return brands.contains("avif") || brands.contains("avis") ? "image/avif" : "image/heic" }
        if major == "qt  " { return "video/quicktime" }
        return "video/mp4"
    }
}
