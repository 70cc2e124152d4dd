import Foundation
import Imaging
import TestSupport
import Testing

/// libvips through the shim, on real images; metadata checked with exiftool on the bytes written.
@Suite struct ImagingTests {
    /// Runs a command-line tool on a thread of its own and returns its output: the tests must not block the
    /// Swift concurrency pool (two threads here), which the workers under test share.
    /// One tool at a time across the suite: vips and exiftool runs are CPU-heavy, and the timing-sensitive tests
    /// (leases, wake-ups) run beside them on two cores.
    static func run(_ tool: String, _ args: [String]) async throws -> String {
        await toolGate.acquire()
        do {
            let output = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
                Thread { continuation.resume(with: Result { try runBlocking(tool, args) }) }.start()
            }
            await toolGate.release()
            return output
        } catch {
            await toolGate.release()
            throw error
        }
    }

    static let toolGate = ToolGate()

    /// A one-permit async semaphore.
    actor ToolGate {
        private var busy = false
        private var waiters: [CheckedContinuation<Void, Never>] = []

        func acquire() async {
            guard busy else {
                busy = true
                return
            }
            await withCheckedContinuation { waiters.append($0) }
        }

        func release() {
            if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
        }
    }

    private static func runBlocking(_ tool: String, _ args: [String]) throws -> String {
        let (status, output) = try runTool(tool, args)
        guard status == 0 else { throw ImageError("\(tool) \(args.joined(separator: " ")) failed") }
        return output
    }

    /// A JPEG with GPS, camera and orientation tags, made with the vips and exiftool command lines.
    static func photo(in dir: URL, width: Int = 640, height: Int = 480) async throws -> URL {
        let url = dir.appendingPathComponent("photo.jpg")
        _ = try await run("/usr/bin/vips", ["gaussnoise", url.path, "\(width)", "\(height)"])
        _ = try await run("/usr/bin/exiftool", ["-q", "-overwrite_original", "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945",
                                          "-GPSLongitudeRef=E", "-Make=FilestoreCam", "-Artist=Someone Private", "-XMP:Creator=Someone Private", url.path])
        return url
    }

    /// Every metadata tag exiftool finds, as group:name.
    static func metadata(_ url: URL) async throws -> [String] {
        let json = try await run("/usr/bin/exiftool", ["-j", "-G", "-a", url.path])
        let object = (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])?.first ?? [:]
        return object.keys.filter { $0.hasPrefix("EXIF:") || $0.hasPrefix("XMP") || $0.hasPrefix("IPTC:") || $0.hasPrefix("GPS") || $0.contains("GPS") }.sorted()
    }

    func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("imaging-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The GPS-tagged photo re-encoded by libvips with its metadata kept, in `suffix`'s format.
    static func photo(in dir: URL, as suffix: String) async throws -> URL {
        let jpeg = try await photo(in: dir)
        guard suffix != "jpg" else { return jpeg }
        let url = dir.appendingPathComponent("photo.\(suffix)")
        _ = try await run("/usr/bin/vips", ["copy", jpeg.path, url.path])
        return url
    }

    /// The formats the service reads and writes (GIF carries no EXIF, so it is only an output here).
    static let formats = ["jpg", "png", "webp", "avif", "heic"]

    @Test(arguments: formats)
    func thumbnailsAndScrubbedCopiesCarryNoMetadataInAnyFormat(input: String) async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let photo = try await Self.photo(in: dir, as: input)
        // The input really carries GPS, by exiftool and by libexif: the checks below could fail.
        let tagged = try await Self.metadata(photo)
        #expect(tagged.contains { $0.contains("GPSLatitude") }, "\(input): \(tagged)")
        let before = try MetadataInspector.inspect(path: photo.path)
        #expect(before.hasGPS && before.hasXMP && before.exifTags.contains("0:Make"), "\(input): \(before)")
        let images = try ImageProcessor()
        let info = try #require(try await images.probe(photo.path))
        #expect(info.width == 640 && info.height == 480, "\(input): \(info)")
        for suffix in Self.formats + ["gif"] {
            let thumb = dir.appendingPathComponent("thumb.\(suffix)"), scrubbed = dir.appendingPathComponent("scrubbed.\(suffix)")
            try await images.thumbnail(photo.path, to: thumb.path, size: 256)
            try await images.scrub(photo.path, to: scrubbed.path)
            let t = try #require(try await images.probe(thumb.path))
            #expect(t.width == 256 && t.height == 192, "\(input)→\(suffix): \(t)")
            #expect(try await images.probe(scrubbed.path)?.width == 640)
            for out in [thumb, scrubbed] {
                let tags = try await Self.metadata(out)
                let report = try MetadataInspector.inspect(path: out.path)
                #expect(tags == [], "\(input)→\(out.lastPathComponent) keeps \(tags) (exiftool)")
                #expect(report.isClean, "\(input)→\(out.lastPathComponent) keeps \(report) (libexif)")
            }
        }
    }

    @Test func orientationIsAppliedBeforeTheTagIsDropped() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 640×480 pixels stored, tagged "rotate 90° clockwise to display": it is a portrait photo.
        let photo = try await Self.photo(in: dir)
        _ = try await Self.run("/usr/bin/exiftool", ["-q", "-overwrite_original", "-Orientation#=6", photo.path])
        let images = try ImageProcessor()
        let thumb = dir.appendingPathComponent("thumb.webp"), scrubbed = dir.appendingPathComponent("scrubbed.jpg")
        try await images.thumbnail(photo.path, to: thumb.path, size: 256)
        try await images.scrub(photo.path, to: scrubbed.path)
        let t = try #require(try await images.probe(thumb.path)), s = try #require(try await images.probe(scrubbed.path))
        #expect(t.width == 192 && t.height == 256, "\(t)")
        #expect(s.width == 480 && s.height == 640, "\(s)")
        #expect(try MetadataInspector.inspect(path: scrubbed.path).isClean) // no Orientation tag left to rotate it twice
    }

    @Test func theInspectorFindsMetadataInEachContainer() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(MetadataInspector.inspect(Data("plain text".utf8)).isClean)
        for suffix in Self.formats {
            let report = try await MetadataInspector.inspect(path: Self.photo(in: dir, as: suffix).path)
            #expect(report.hasEXIF && report.hasGPS && report.hasXMP && !report.isClean, "\(suffix): \(report)")
            #expect(report.exifTags.contains("GPS:GPSLatitude"), "\(suffix): \(report.exifTags)")
        }
        // IPTC written by exiftool into a JPEG's APP13 segment.
        let jpeg = try await Self.photo(in: dir)
        _ = try await Self.run("/usr/bin/exiftool", ["-q", "-overwrite_original", "-all=", "-IPTC:By-line=Someone Private", jpeg.path])
        let iptc = try MetadataInspector.inspect(path: jpeg.path)
        #expect(iptc.hasIPTC && !iptc.hasEXIF && !iptc.hasXMP, "\(iptc)")
    }

    @Test func notAnImageCorruptImagesAndBombsAreToldApart() async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = try ImageProcessor(maxPixels: 50_000_000)
        let text = dir.appendingPathComponent("notes.txt")
        try Data("plain text, not an image\n".utf8).write(to: text)
        #expect(try await images.probe(text.path) == nil)
        // A JPEG cut in half: its header reads, decoding fails with a clear error (and the process lives on).
        let photo = try await Self.photo(in: dir)
        let data = try Data(contentsOf: photo)
        let corrupt = dir.appendingPathComponent("corrupt.jpg")
        try data.prefix(data.count / 2).write(to: corrupt)
        await #expect(throws: ImageError.self) { try await images.thumbnail(corrupt.path, to: dir.appendingPathComponent("c.jpg").path, size: 256) }
        // A small file that would decode to 64 megapixels is refused from its header.
        let bomb = dir.appendingPathComponent("bomb.png")
        _ = try await Self.run("/usr/bin/vips", ["black", bomb.path, "8000", "8000"])
        #expect(try FileManager.default.attributesOfItem(atPath: bomb.path)[.size] as? Int ?? 0 < 1_000_000)
        let info = try #require(try await images.probe(bomb.path))
        #expect(throws: ImageError.self) { try images.check(info) }
        #expect(throws: Never.self) { try images.check(ImageInfo(width: 640, height: 480, loader: "jpegload")) }
    }

    @Test func webpMetadataChunksAreRemovedAndMalformedFilesRefused() throws {
        #expect(WebPMetadata.strip(Data("not a webp".utf8)) == nil)
        // RIFF header, VP8X with EXIF+XMP flags, an EXIF chunk (odd size, padded), a VP8L chunk.
        var riff: [UInt8] = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBP".utf8)
        riff += Array("VP8X".utf8) + [10, 0, 0, 0] + [0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        riff += Array("EXIF".utf8) + [3, 0, 0, 0] + [1, 2, 3, 0]
        riff += Array("VP8L".utf8) + [2, 0, 0, 0] + [9, 9]
        let size = UInt32(riff.count - 8)
        riff[4] = UInt8(size & 0xFF)
        let clean = try #require(WebPMetadata.strip(Data(riff)))
        let bytes = [UInt8](clean)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("EXIF"))
        #expect(bytes[20] == 0)                        // the VP8X flags no longer announce EXIF or XMP
        #expect(Int(bytes[4]) == bytes.count - 8)      // the RIFF size follows
        #expect(Array(bytes.suffix(2)) == [9, 9])      // the image data is untouched
    }
}
