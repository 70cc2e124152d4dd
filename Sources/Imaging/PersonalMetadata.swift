import Foundation

/// The kinds of personal data a file's metadata can carry, as the file resource reports them.
public enum PersonalMetadata: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
    /// A position: EXIF GPS, XMP `exif:GPS…`, QuickTime/MP4 `©xyz` or `com.apple.quicktime.location.ISO6709`.
    case gps
    /// The camera or phone: EXIF `Make`/`Model`/serial numbers, XMP `tiff:Make`, QuickTime `©mak`/`©mod`.
    case device
    /// A person: EXIF `Artist`/`Copyright`, XMP `dc:creator`, IPTC, PDF `/Author`, QuickTime `©ART`/`©aut`.
    case author
    /// When it was made: EXIF `DateTime…`, XMP `xmp:CreateDate`, PDF `/CreationDate`/`/ModDate`, QuickTime `©day`.
    case timestamps

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    static let exifTags: [PersonalMetadata: Set<String>] = [
        .device: ["0:Make", "0:Model", "EXIF:LensMake", "EXIF:LensModel", "EXIF:BodySerialNumber", "EXIF:LensSerialNumber",
                  "EXIF:CameraOwnerName", "EXIF:0xa431", "EXIF:0xa435", "EXIF:0xa430", "1:Make", "1:Model"],
        .author: ["0:Artist", "0:Copyright", "0:XPAuthor", "1:Artist", "1:Copyright"],
        .timestamps: ["0:DateTime", "EXIF:DateTimeOriginal", "EXIF:DateTimeDigitized", "1:DateTime"],
    ]

    /// Byte patterns that announce each kind outside EXIF (XMP properties, PDF info keys, QuickTime atoms and keys).
    /// XMP properties (long enough never to occur by chance in compressed data), in any file.
    static let xmpMarkers: [(PersonalMetadata, [UInt8])] = ([
        (.gps, "exif:GPSLatitude"), (.gps, "exif:GPSLongitude"), (.device, "tiff:Make"), (.device, "tiff:Model"),
        (.author, "<dc:creator"), (.author, "pdf:Author"), (.timestamps, "xmp:CreateDate"), (.timestamps, "photoshop:DateCreated"),
        (.timestamps, "exif:DateTimeOriginal"),
    ] as [(PersonalMetadata, String)]).map { ($0.0, Array($0.1.utf8)) }
    /// PDF document-information keys, in PDF files only.
    static let pdfMarkers: [(PersonalMetadata, [UInt8])] =
        ([(.author, "/Author"), (.timestamps, "/CreationDate"), (.timestamps, "/ModDate")] as [(PersonalMetadata, String)])
            .map { ($0.0, Array($0.1.utf8)) }
    /// QuickTime/MP4 user-data atoms (© and three letters) and Apple's metadata keys, in ISO media files only.
    static let quickTimeMarkers: [(PersonalMetadata, [UInt8])] =
        ([(.gps, "xyz"), (.device, "mak"), (.device, "mod"), (.author, "ART"), (.author, "aut"), (.timestamps, "day")]
            as [(PersonalMetadata, String)]).map { ($0.0, [0xA9] + Array($0.1.utf8)) }
        + ([(.gps, "com.apple.quicktime.location.ISO6709"), (.device, "com.apple.quicktime.make"), (.device, "com.apple.quicktime.model"),
            (.author, "com.apple.quicktime.author"), (.timestamps, "com.apple.quicktime.creationdate")]
            as [(PersonalMetadata, String)]).map { ($0.0, Array($0.1.utf8)) }

    /// What `exifTags` (as `IFD:Name`) and the file's bytes carry.
    static func found(exifTags: [String], hasIPTC: Bool, in bytes: UnsafeBufferPointer<UInt8>,
                      fileStart: [UInt8]) -> Set<PersonalMetadata> {
        var found: Set<PersonalMetadata> = []
        if exifTags.contains(where: { $0.hasPrefix("GPS:") }) { found.insert(.gps) }
        for (kind, tags) in Self.exifTags where exifTags.contains(where: tags.contains) { found.insert(kind) }
        if hasIPTC { found.insert(.author) }
        let pdf = fileStart.starts(with: Array("%PDF-".utf8))
        let isoMedia = fileStart.count >= 8 && Array(fileStart[4..<8]) == Array("ftyp".utf8)
        let markers = xmpMarkers + (pdf ? pdfMarkers : []) + (isoMedia ? quickTimeMarkers : [])
        for (kind, marker) in markers where !found.contains(kind) {
            if MetadataInspector.find(marker, in: bytes) != nil { found.insert(kind) }
        }
        return found
    }
}
