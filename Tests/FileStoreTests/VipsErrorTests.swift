import Domain
import Foundation
import Imaging
import NIOPosix
import TestSupport
import Testing

/// libvips' error buffer is one per process: a failure's reason must still be its own.
@Suite struct VipsErrorTests {
    @Test func aReasonKeepsOnlyItsOwnLinesWhenOtherCallsOverlapped() {
        let mine = "/data/scratch/tenant-a/f1.jpg", theirs = "/data/scratch/tenant-b/f2.jpg"
        let buffer = """
            VipsForeignLoad: "\(theirs)" is not a known file format
            VipsJpeg: Premature end of JPEG file
            jpegload: "\(mine)" is truncated
            """
        let shared = VipsFailure(message: buffer, solo: false).reason(input: mine)
        #expect(shared == "jpegload: \"the image\" is truncated", "\(shared)")
        // Alone, every line is this call's; a line naming any path is still never shown.
        let alone = VipsFailure(message: "VipsJpeg: Premature end of JPEG file\nsaver: \"/tmp/out.webp\" failed\n", solo: true).reason(input: mine)
        #expect(alone == "VipsJpeg: Premature end of JPEG file", "\(alone)")
        #expect(!VipsFailure(message: buffer, solo: false).reason(input: "/elsewhere/x.png").contains("/"))
        #expect(VipsFailure(message: "", solo: false).reason(input: mine).hasPrefix("libvips gave no reason"))
    }

    /// Many corrupt images of two tenants fail at once on four native threads: every reason is non-empty and
    /// names no file, its own or another's.
    @Test func concurrentFailuresAreEachGivenTheirOwnReason() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vips-errors-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let photo = try await ImagingTests.photo(in: dir, width: 1600, height: 1200)
        let bytes = try Data(contentsOf: photo)
        var inputs: [URL] = []
        for i in 0..<24 {
            let url = dir.appendingPathComponent("tenant-\(i % 2 == 0 ? "alpha" : "beta")-file-\(i).\(i % 3 == 0 ? "png" : "jpg")")
            // Truncated JPEGs (decode errors) and JPEG bytes behind a PNG name, at different lengths.
            try bytes.prefix(bytes.count / 3 + i * 97).write(to: url)
            inputs.append(url)
        }
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        let images = try ImageProcessor(pool: pool)
        let reasons = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for (i, input) in inputs.enumerated() {
                group.addTask {
                    do {
                        try await images.scrub(input.path, to: dir.appendingPathComponent("out-\(i).jpg").path)
                        return (i, nil)
                    } catch let error as ImageError {
                        return (i, error.message)
                    }
                }
            }
            var all: [Int: String?] = [:]
            for try await (i, reason) in group { all[i] = reason }
            return all
        }
        try await pool.shutdownGracefully()
        #expect(reasons.count == inputs.count)
        for (i, reason) in reasons {
            let reason = try #require(reason, "file \(i) was scrubbed although truncated")
            #expect(reason.hasPrefix("scrub failed: ") && reason.count > "scrub failed: ".count, "\(i): \(reason)")
            #expect(!reason.contains("tenant-") && !reason.contains(dir.path) && !reason.contains("/"), "\(i): \(reason)")
        }
    }
}

/// The sniffer knows every format the optimizer processes.
@Suite struct SnifferFormatTests {
    @Test func everyProcessableFormatIsSniffedFromItsBytes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sniff-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let expected = ["jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp", "tif": "image/tiff",
                        "heic": "image/heic", "avif": "image/avif", "jxl": "image/jxl"]
        let photo = try await ImagingTests.photo(in: dir, width: 64, height: 48)
        for (suffix, type) in expected {
            let url = dir.appendingPathComponent("x.\(suffix)")
            _ = try await ImagingTests.run("/usr/bin/vips", ["copy", photo.path, url.path])
            let prefix = [UInt8](try Data(contentsOf: url).prefix(ContentSniffer.prefixLength))
            #expect(ContentSniffer.sniff(prefix) == type, "\(suffix)")
        }
        // Big-endian TIFF, and the aliases clients send.
        #expect(ContentSniffer.sniff([0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8]) == "image/tiff")
        #expect(ContentTypes.agrees(declared: "image/tif", sniffed: "image/tiff"))
        #expect(!ContentTypes.agrees(declared: "image/tiff", sniffed: "application/octet-stream"))
        // QuickTime is not MP4-branded but is a video.
        let qt: [UInt8] = [0, 0, 0, 20] + Array("ftypqt  ".utf8) + [0, 0, 2, 0] + Array("qt  ".utf8)
        #expect(ContentSniffer.sniff(qt) == "video/quicktime")
        #expect(ContentTypes.agrees(declared: "video/quicktime", sniffed: "video/quicktime"))
    }
}
