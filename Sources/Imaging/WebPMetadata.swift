import Foundation

/// Removes the EXIF and XMP chunks of a WebP file (and clears their flags in `VP8X`). libvips 8.14's WebP saver
/// writes an EXIF block even when asked to strip metadata, so WebP output is cleaned after it is written.
public enum WebPMetadata {
    /// The file without `EXIF` and `XMP ` chunks; `nil` if `data` is not a well-formed WebP (RIFF) file.
    public static func strip(_ data: Data) -> Data? {
        let bytes = [UInt8](data)
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x45, 0x42, 0x50] else { return nil }
        var out: [UInt8] = Array(bytes[0..<12])
        var offset = 12
        while offset + 8 <= bytes.count {
            let fourCC = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            let padded = size + (size & 1)
            guard offset + 8 + size <= bytes.count else { return nil }
            let end = min(bytes.count, offset + 8 + padded)
            if fourCC != "EXIF" && fourCC != "XMP " {
                var chunk = Array(bytes[offset..<end])
                if fourCC == "VP8X", chunk.count > 8 { chunk[8] &= ~UInt8(0x08 | 0x04) } // no EXIF, no XMP
                out += chunk
            }
            offset = end
        }
        let riffSize = UInt32(out.count - 8)
        out[4] = UInt8(riffSize & 0xFF); out[5] = UInt8((riffSize >> 8) & 0xFF)
        out[6] = UInt8((riffSize >> 16) & 0xFF); out[7] = UInt8((riffSize >> 24) & 0xFF)
        return Data(out)
    }
}
