import Foundation
import Imaging
import TestSupport
import Testing

/// Camera-sized photos in every orientation and every format libvips reads here, made once per test run and
/// shared by the tests that use them.
///
/// Each photo shows, upright, a white block in its top-left quarter on black (W×H landscape, the block W/4×H/4).
/// For EXIF orientation N the stored pixels are that picture transformed by N's inverse and tagged N, so that
/// applying the orientation gives the upright picture back: the served copy must be W×H with the block at its
/// top left (the corner and the aspect together tell all eight orientations apart). Every photo also carries
/// GPS, camera make, artist and an XMP creator.
///
/// HEIF and AVIF rotate with their `irot`/`imir` boxes, which libheif applies while decoding, and the HEIF
/// specification has readers ignore an EXIF orientation tag, as libvips does; their inputs are stored upright
/// with the tag N written into their EXIF, and must come out upright and untouched by the tag. GIF has no EXIF
/// (it gets an XMP creator only).
actor CameraCorpus {
    struct Photo: Sendable, CustomStringConvertible {
        var url: URL
        var format: String
        var width: Int
        var height: Int
        var orientation: Int
        var description: String { "\(format) \(width)×\(height) orientation \(orientation)" }
    }

    static let shared = CameraCorpus()
    static let sizes = [(4032, 3024), (6000, 4000)]
    /// Formats whose EXIF orientation libvips applies.
    static let rotating = ["jpg", "png", "webp", "tif"]

    private var made: [String: Task<Photo, any Error>] = [:]
    let dir: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("camera-corpus-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// The photo, made on first use.
    func photo(_ format: String, _ width: Int, _ height: Int, orientation: Int) async throws -> Photo {
        let key = "\(format)-\(width)x\(height)-\(orientation)"
        if let task = made[key] { return try await task.value }
        let dir = self.dir
        let task = Task { try await Self.make(format, width, height, orientation, key: key, in: dir) }
        made[key] = task
        return try await task.value
    }

    static func make(_ format: String, _ width: Int, _ height: Int, _ orientation: Int, key: String, in dir: URL) async throws -> Photo {
        let rotates = rotating.contains(format)
        let n = rotates ? orientation : 1
        // The stored frame: swapped for orientations 5–8; the corner the upright top-left lands in.
        let swapped = n >= 5
        let (sw, sh) = swapped ? (height, width) : (width, height)
        let (bw, bh) = swapped ? (height / 4, width / 4) : (width / 4, height / 4)
        let corner: (right: Bool, bottom: Bool) = switch n {
        case 2, 8: (true, false)
        case 3, 7: (true, true)
        case 4, 6: (false, true)
        default: (false, false)
        }
        let raw = dir.appendingPathComponent("\(key).v"), url = dir.appendingPathComponent("\(key).\(format)")
        _ = try await ImagingTests.run("/usr/bin/vips", ["black", raw.path, "\(sw)", "\(sh)", "--bands", "3"])
        _ = try await ImagingTests.run("/usr/bin/vips", ["draw_rect", raw.path, "255", "\(corner.right ? sw - bw : 0)",
                                                         "\(corner.bottom ? sh - bh : 0)", "\(bw)", "\(bh)", "--fill"])
        // WebP at effort 0 and TIFF deflated: the inputs only need to be valid files of the size, quickly made.
        let target = switch format {
        case "webp": url.path + "[effort=0]"
        case "tif": url.path + "[compression=deflate]"
        case "avif", "heic": url.path + "[effort=0]"
        default: url.path
        }
        _ = try await ImagingTests.run("/usr/bin/vips", ["copy", raw.path, target])
        try? FileManager.default.removeItem(at: raw)
        var tags = ["-q", "-q", "-m", "-overwrite_original", "-XMP:Creator=Someone Private"]
        if format != "gif" {
            tags += ["-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945", "-GPSLongitudeRef=E", "-Make=FilestoreCam",
                     "-Artist=Someone Private", "-DateTimeOriginal=2026:05:01 12:00:00", "-Orientation#=\(orientation)"]
        }
        _ = try await ImagingTests.run("/usr/bin/exiftool", tags + [url.path])
        return Photo(url: url, format: format, width: width, height: height, orientation: orientation)
    }

    /// The mean brightness of a 4×4 grid over the image (rows top to bottom), by libvips' own thumbnailer.
    static func grid(_ url: URL) async throws -> [[Double]] {
        let id = UUID()
        let small = url.deletingPathExtension().appendingPathExtension("grid-\(id).v")
        let csv = url.deletingPathExtension().appendingPathExtension("grid-\(id).csv")
        defer { try? FileManager.default.removeItem(at: small); try? FileManager.default.removeItem(at: csv) }
        _ = try await ImagingTests.run("/usr/bin/vips", ["thumbnail", url.path, small.path, "4", "--height", "4", "--size", "force"])
        // The first band (red, or grey): the block is white, the rest black; GIF's alpha band is left out.
        _ = try await ImagingTests.run("/usr/bin/vips", ["extract_band", small.path, csv.path, "0"])
        return try String(contentsOf: csv, encoding: .utf8).split(whereSeparator: \.isNewline)
            .map { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).compactMap { Double($0) } }
    }

    /// Whether the image shows the block at its top left only: upright.
    static func isUpright(_ url: URL) async throws -> Bool { isUpright(try await grid(url)) }

    /// Whether a 4×4 brightness grid shows the block at its top left only.
    static func isUpright(_ g: [[Double]]) -> Bool {
        guard g.count == 4, g.allSatisfy({ $0.count == 4 }) else { return false }
        return g[0][0] > 128 && g[0][3] < 64 && g[3][0] < 64 && g[3][3] < 64
    }

    /// Metadata tags exiftool finds, as group:name, apart from a TIFF file's own layout tags.
    static func metadata(_ url: URL) async throws -> [String] {
        let layout: Set<String> = ["ImageWidth", "ImageHeight", "BitsPerSample", "Compression", "PhotometricInterpretation", "StripOffsets",
                                   "Orientation", "SamplesPerPixel", "RowsPerStrip", "StripByteCounts", "XResolution", "YResolution",
                                   "PlanarConfiguration", "ResolutionUnit", "SampleFormat", "Predictor", "ExtraSamples", "TileWidth",
                                   "TileLength", "TileOffsets", "TileByteCounts", "SubfileType", "FillOrder"]
        let tiff = url.pathExtension == "tif"
        return try await ImagingTests.metadata(url).filter { tag in
            !(tiff && tag.hasPrefix("EXIF:") && layout.contains(String(tag.dropFirst(5))))
        }
    }
}

/// Rotated camera photos come out upright, full size and scrubbed, in every format and orientation.
@Suite struct CameraPhotoTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var format: String
        var width: Int
        var height: Int
        var orientation: Int
        var scrub: Bool
        var testDescription: String { "\(format) \(width)×\(height) o\(orientation)\(scrub ? "" : " (thumbnail)")" }
    }

    /// The matrix, with its cost in mind (two cores, a 40-minute CI run):
    /// - JPEG, PNG, WebP, TIFF (the formats whose EXIF orientation libvips applies, the ones that failed with
    ///   `out of order read`): all eight orientations at 6000×4000, JPEG and PNG at 4032×3024 as well; scrubbed
    ///   copy and thumbnail each.
    /// - HEIC and AVIF: all eight EXIF tags at 6000×4000 through header and thumbnail (the decoding path is
    ///   the same for every tag: libheif applies the rotation, the tag is ignored); the full-size scrubbed copy
    ///   — a HEVC or AV1 encode of 24 megapixels, minutes on this machine — once each at 4032×3024.
    /// - GIF: 4032×3024, no orientation (it has no EXIF).
    static let cases: [Case] = {
        var cases: [Case] = []
        for format in CameraCorpus.rotating {
            for o in 1...8 {
                cases.append(Case(format: format, width: 6000, height: 4000, orientation: o, scrub: true))
                if format == "jpg" || format == "png" { cases.append(Case(format: format, width: 4032, height: 3024, orientation: o, scrub: true)) }
            }
        }
        for format in ["heic", "avif"] {
            for o in 1...8 { cases.append(Case(format: format, width: 6000, height: 4000, orientation: o, scrub: false)) }
            cases.append(Case(format: format, width: 4032, height: 3024, orientation: 6, scrub: true))
        }
        cases.append(Case(format: "gif", width: 4032, height: 3024, orientation: 1, scrub: true))
        return cases
    }()

    @Test(arguments: cases)
    func aRotatedCameraPhotoComesOutUprightAndScrubbed(_ c: Case) async throws {
        let photo = try await CameraCorpus.shared.photo(c.format, c.width, c.height, orientation: c.orientation)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("camera-out-\(UUID())")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        // The input carries what it should, so the checks below can fail.
        let before = try MetadataInspector.inspect(path: photo.url.path)
        if c.format == "gif" {
            #expect(before.hasXMP, "\(photo): \(before)")
        } else {
            #expect(before.hasGPS && before.hasXMP, "\(photo): \(before)")
        }
        let images = try ImageProcessor()
        let info = try #require(try await images.probe(photo.url.path))
        #expect(info.orientation == (CameraCorpus.rotating.contains(c.format) ? c.orientation : 1), "\(photo): \(info)")
        try images.check(info)

        var outputs: [(URL, Int, Int)] = []
        let thumb = out.appendingPathComponent("thumb.webp")
        try await images.thumbnail(photo.url.path, to: thumb.path, size: 256)
        outputs.append((thumb, 256, 256 * c.height / c.width))
        if c.scrub {
            let scrubbed = out.appendingPathComponent("scrubbed.\(c.format)")
            try await images.scrub(photo.url.path, to: scrubbed.path)
            outputs.append((scrubbed, c.width, c.height))
        }
        for (url, width, height) in outputs {
            let got = try #require(try await images.probe(url.path))
            #expect(got.width == width && abs(got.height - height) <= 1, "\(photo) → \(url.lastPathComponent): \(got)")
            #expect(got.orientation == 1, "\(photo) → \(url.lastPathComponent)")
            let grid = try await CameraCorpus.grid(url)
            #expect(CameraCorpus.isUpright(grid), "\(photo) → \(url.lastPathComponent): \(grid)")
            #expect(try await CameraCorpus.metadata(url) == [], "\(photo) → \(url.lastPathComponent) (exiftool)")
            let report = try MetadataInspector.inspect(path: url.path)
            #expect(report.isClean, "\(photo) → \(url.lastPathComponent) (libexif): \(report)")
        }
    }
}
