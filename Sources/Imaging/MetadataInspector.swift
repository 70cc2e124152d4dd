import CExif
import Foundation

/// The metadata an image file carries, as found by ``MetadataInspector``.
public struct MetadataReport: Sendable, Hashable, CustomStringConvertible {
    /// EXIF tags libexif parsed, as `IFD:Name` (e.g. `GPS:GPSLatitude`).
    public var exifTags: [String] = []
    /// Whether an EXIF block is present at all (even one libexif could not parse).
    public var hasEXIF = false
    /// Whether an XMP packet is present.
    public var hasXMP = false
    /// Whether an IPTC (Photoshop 8BIM) block is present.
    public var hasIPTC = false
    /// The kinds of personal data found (EXIF, XMP, IPTC, PDF info, QuickTime/MP4 atoms), in any file.
    public var personal: Set<PersonalMetadata> = []

    /// Whether the EXIF tags include GPS ones.
    public var hasGPS: Bool { exifTags.contains { $0.hasPrefix("GPS:") } }
    /// No EXIF, XMP or IPTC.
    public var isClean: Bool { !hasEXIF && !hasXMP && !hasIPTC }

    public var description: String {
        isClean ? "no metadata"
            : ([hasEXIF ? "EXIF[\(exifTags.joined(separator: ","))]" : nil, hasXMP ? "XMP" : nil, hasIPTC ? "IPTC" : nil]
                .compactMap { $0 }.joined(separator: " "))
    }
}

/// Finds EXIF (parsed with libexif), XMP and IPTC in image bytes of any format the service writes: JPEG APP1/APP13
/// segments, PNG `eXIf`/`iTXt` chunks, WebP `EXIF`/`XMP ` chunks, GIF XMP extensions and HEIF/AVIF `Exif` items.
/// It looks for the blocks' signatures anywhere in the file rather than trusting each container's directory,
/// so a block in an unexpected place is still found. The optimize job runs it on every variant it writes and
/// refuses to serve one that is not clean; the tests run it beside exiftool.
public enum MetadataInspector {
    /// Inspects the file at `path`.
    public static func inspect(path: String) throws -> MetadataReport {
        inspect(try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe))
    }

    /// Inspects the first and last `window` bytes of the file at `path` (all of it when it is shorter than two
    /// windows): for files of any size, whose metadata sits at either end (PDF info and XMP, a QuickTime `moov`).
    public static func inspect(path: String, window: Int) throws -> MetadataReport {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        guard size > 2 * window else { return try inspect(path: path) }
        try handle.seek(toOffset: 0)
        var head = try handle.read(upToCount: window) ?? Data()
        try handle.seek(toOffset: UInt64(size - window))
        let tail = try handle.read(upToCount: window) ?? Data()
        var report = inspect(head)
        let end = inspect(tail, fileStart: Array(head.prefix(8)))
        head.removeAll()
        report.hasEXIF = report.hasEXIF || end.hasEXIF
        report.hasXMP = report.hasXMP || end.hasXMP
        report.hasIPTC = report.hasIPTC || end.hasIPTC
        report.exifTags = Array(Set(report.exifTags).union(end.exifTags)).sorted()
        report.personal.formUnion(end.personal)
        return report
    }

    /// Inspects image bytes.
    public static func inspect(_ data: Data) -> MetadataReport { inspect(data, fileStart: nil) }

    /// Inspects bytes from within a file whose first bytes are `fileStart` (`nil`: `data` is the whole file).
    static func inspect(_ data: Data, fileStart: [UInt8]?) -> MetadataReport {
        var report = MetadataReport()
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            // XMP: the packet's namespace, in every container (JPEG APP1, PNG iTXt, WebP "XMP ", GIF, HEIF mime item).
            // (PNG may compress the packet: its chunk keyword is enough.)
            report.hasXMP = find(Array("http://ns.adobe.com/xap/1.0/".utf8), in: bytes) != nil || find(Array("<x:xmpmeta".utf8), in: bytes) != nil
                || find(Array("XML:com.adobe.xmp".utf8), in: bytes) != nil
            // IPTC: Photoshop's image resource block (JPEG APP13) or ImageMagick's PNG text profile.
            report.hasIPTC = find(Array("Photoshop 3.0\u{0}8BIM".utf8), in: bytes) != nil || find(Array("Raw profile type iptc".utf8), in: bytes) != nil
                || find(Array("Raw profile type 8bim".utf8), in: bytes) != nil
            // EXIF: "Exif\0\0" + TIFF header (JPEG, WebP, HEIF), or a PNG eXIf chunk (TIFF header right after the type).
            var blocks: [Int] = []
            var from = 0
            while let at = find(Array("Exif\u{0}\u{0}".utf8), in: bytes, from: from) {
                if isTIFFHeader(bytes, at: at + 6) { blocks.append(at) }
                from = at + 1
            }
            from = 0
            var pngBlocks: [Int] = []
            while let at = find(Array("eXIf".utf8), in: bytes, from: from) {
                if isTIFFHeader(bytes, at: at + 4) { pngBlocks.append(at + 4) }
                from = at + 1
            }
            if find(Array("Raw profile type exif".utf8), in: bytes) != nil { report.hasEXIF = true }
            report.hasEXIF = report.hasEXIF || !blocks.isEmpty || !pngBlocks.isEmpty
            var tags: Set<String> = []
            for at in blocks {
                tags.formUnion(exifTags(UnsafeRawBufferPointer(rebasing: raw[at...])))
            }
            for at in pngBlocks {
                tags.formUnion(exifTags(Array("Exif\u{0}\u{0}".utf8) + Array(bytes[at...].prefix(1 << 20))))
            }
            // A TIFF file is itself an EXIF structure: its first IFD carries the image's layout and whatever else
            // was written beside it (camera, artist, a GPS IFD). Only the layout tags are not metadata.
            if fileStart == nil, isTIFFHeader(bytes, at: 0) {
                let personal = exifTags(Array("Exif\u{0}\u{0}".utf8) + Array(bytes)).filter { !tiffLayoutTags.contains($0) }
                if !personal.isEmpty { report.hasEXIF = true }
                tags.formUnion(personal)
            }
            report.exifTags = tags.sorted()
            report.personal = PersonalMetadata.found(exifTags: report.exifTags, hasIPTC: report.hasIPTC, in: bytes,
                                                     fileStart: fileStart ?? Array(bytes.prefix(8)))
        }
        return report
    }

    /// The tags libexif parses from an "Exif\0\0"+TIFF block (libexif reads only what it needs).
    static func exifTags(_ block: some ContiguousBytes) -> Set<String> {
        block.withUnsafeBytes { raw -> Set<String> in
            guard let base = raw.baseAddress, let exif = exif_data_new() else { return [] }
            defer { exif_data_unref(exif) }
            // Parse what is there; do not let libexif add the tags the specification calls mandatory.
            exif_data_unset_option(exif, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION)
            exif_data_load_data(exif, base.assumingMemoryBound(to: UInt8.self), UInt32(min(raw.count, Int(UInt32.max))))
            var tags: Set<String> = []
            let ifds = withUnsafeBytes(of: exif.pointee.ifd) { Array($0.bindMemory(to: UnsafeMutablePointer<ExifContent>?.self)) }
            for (index, content) in ifds.enumerated() {
                guard let content, let entries = content.pointee.entries else { continue }
                let ifd = ExifIfd(UInt32(index))
                let ifdName = exif_ifd_get_name(ifd).map { String(cString: $0) } ?? "IFD\(index)"
                for i in 0..<Int(content.pointee.count) {
                    guard let entry = entries[i] else { continue }
                    let name = exif_tag_get_name_in_ifd(entry.pointee.tag, ifd).map { String(cString: $0) }
                        ?? String(format: "0x%04x", entry.pointee.tag.rawValue)
                    tags.insert("\(ifdName):\(name)")
                }
            }
            return tags
        }
    }

    /// The tags of a TIFF file's own structure (as `IFD:name`, libexif's names or hex numbers): the pixels'
    /// layout, no one's data.
    static let tiffLayoutTags: Set<String> = {
        let names = ["ImageWidth", "ImageLength", "BitsPerSample", "Compression", "PhotometricInterpretation", "FillOrder",
                     "StripOffsets", "Orientation", "SamplesPerPixel", "RowsPerStrip", "StripByteCounts", "XResolution", "YResolution",
                     "PlanarConfiguration", "ResolutionUnit", "TransferFunction", "WhitePoint", "PrimaryChromaticities",
                     "YCbCrCoefficients", "YCbCrSubSampling", "YCbCrPositioning", "ReferenceBlackWhite", "NewSubfileType",
                     "0x00fe", "0x013d", "0x0142", "0x0143", "0x0144", "0x0145", "0x0152", "0x0153", "0x015b", "0x0140"]
        return Set(["0", "1"].flatMap { ifd in names.map { "\(ifd):\($0)" } })
    }()

    static func isTIFFHeader(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i + 4 <= bytes.count else { return false }
        return (bytes[i] == 0x49 && bytes[i + 1] == 0x49 && bytes[i + 2] == 0x2A && bytes[i + 3] == 0x00)
            || (bytes[i] == 0x4D && bytes[i + 1] == 0x4D && bytes[i + 2] == 0x00 && bytes[i + 3] == 0x2A)
    }

    static func find(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> Int? {
        guard let base = bytes.baseAddress, let first = needle.first, bytes.count >= needle.count else { return nil }
        var i = start
        let last = bytes.count - needle.count
        while i <= last {
            guard let hit = memchr(base + i, Int32(first), last - i + 1) else { return nil }
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + at, needle, needle.count) == 0 { return at }
            i = at + 1
        }
        return nil
    }
}
