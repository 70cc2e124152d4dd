import API
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import JobKit
import Jobs
import NIOCore
import PostgresNIO
import Scanning
import Storage
import TestSupport
import Testing

/// The pipeline on files as people upload them: rotated camera-sized photos in several formats, a TIFF, and
/// files whose metadata the service cannot remove (a PDF, a video with a location atom).
@Suite struct PipelineRealWorldTests {
    static func upload(_ url: URL, type: String, h: APIHarness, token: String, client: any TestClientProtocol) async throws -> String {
        let bytes = [UInt8](try Data(contentsOf: url))
        let extra: [HTTPField.Name: String] = [HTTPField.Name("Upload-Filename")!: url.lastPathComponent, .contentType: type]
        return try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, extra), body: ByteBuffer(bytes: bytes)) {
            #expect($0.status == .created, "\(url.lastPathComponent)")
            return try decode(FileResource.self, $0).id
        }
    }

    static func file(_ id: String, h: APIHarness, token: String, client: any TestClientProtocol) async throws -> FileResource {
        try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.headers(token)) { try decode(FileResource.self, $0) }
    }

    static func served(_ id: String, _ variant: String, h: APIHarness, token: String, client: any TestClientProtocol) async throws -> (HTTPResponse.Status, Data) {
        let url = try await client.execute(uri: "/v1/files/\(id)/urls", method: .post, headers: h.headers(token, [.contentType: "application/json"]),
                                           body: ByteBuffer(string: "{\"variant\": \"\(variant)\"}")) {
            (try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])?["url"] as? String ?? ""
        }
        return try await client.execute(uri: url, method: .get) { ($0.status, Data(buffer: $0.body)) }
    }

    static func setPolicy(_ policy: UnscrubbableMetadataPolicy, tenant: String, _ h: APIHarness) async throws {
        try await h.env.postgres.withTransaction(logger: TestDatabase.logger) { tx in
            try await tx.query("SELECT set_config('app.tenant_id', \(tenant), true)", logger: TestDatabase.logger)
            try await FileMetadataRepository(logger: TestDatabase.logger).setUnscrubbablePolicy(policy, tenant: TenantID(tenant), on: tx)
        }
    }

    @Test func rotatedCameraPhotosAndATIFFAreServedUprightScrubbedAndSayWhatTheyCarried() async throws {
        let sigs = try ClamAVTests.signatureDirectory()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("realworld-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sigs); try? FileManager.default.removeItem(at: work) }
        let engine = try await ClamAVEngine.load(directory: sigs)
        let corpus = CameraCorpus.shared
        let photos = [try await corpus.photo("jpg", 4032, 3024, orientation: 6), try await corpus.photo("png", 6000, 4000, orientation: 8),
                      try await corpus.photo("tif", 6000, 4000, orientation: 3), try await corpus.photo("webp", 6000, 4000, orientation: 5)]
        let types = ["jpg": "image/jpeg", "png": "image/png", "tif": "image/tiff", "webp": "image/webp"]
        try await APIHarness.with { h, client in
            let token = try await h.token()
            var ids: [(CameraCorpus.Photo, String)] = []
            for photo in photos { ids.append((photo, try await Self.upload(photo.url, type: types[photo.format]!, h: h, token: token, client: client))) }
            try await PipelineProofTests.runPipeline(h, engine: engine, until: photos.count)
            for (photo, id) in ids {
                let resource = try await Self.file(id, h: h, token: token, client: client)
                #expect(resource.state == "ready" && resource.content_type == types[photo.format] && !resource.type_mismatch, "\(photo): \(resource.state)")
                #expect(resource.metadata == FileResource.MetadataResource(found: ["author", "device", "gps", "timestamps"], scrubbed: true),
                        "\(photo): \(String(describing: resource.metadata))")
                let scrubbed = resource.variants.first { $0.name == "scrubbed" }
                #expect(scrubbed?.width == photo.width && scrubbed?.height == photo.height, "\(photo): \(String(describing: scrubbed))")
                for (variant, width) in [("original", photo.width), ("thumb", 256)] {
                    let (status, bytes) = try await Self.served(id, variant, h: h, token: token, client: client)
                    #expect(status == .ok, "\(photo) \(variant)")
                    let path = work.appendingPathComponent("\(id)-\(variant).\(variant == "thumb" ? "webp" : photo.format)")
                    try bytes.write(to: path)
                    let info = try #require(try await ImageProcessor().probe(path.path))
                    #expect(info.width == width && info.orientation == 1, "\(photo) \(variant): \(info)")
                    #expect(try await CameraCorpus.isUpright(path), "\(photo) \(variant)")
                    #expect(try await CameraCorpus.metadata(path) == [], "\(photo) \(variant) (exiftool)")
                    #expect(MetadataInspector.inspect(bytes).isClean, "\(photo) \(variant) (libexif)")
                }
            }
            #expect(try await h.env.count(.retryable) == 0)
            #expect(try await h.env.count(.discarded) == 0)
        }
    }

    /// A PDF with an author and dates and an MP4 with a QuickTime location atom: the service cannot re-encode
    /// them, so it serves them as uploaded and says what they carry — unless the tenant's policy is `fail`.
    @Test func metadataTheServiceCannotRemoveIsReportedAndTheTenantPolicyDecides() async throws {
        let sigs = try ClamAVTests.signatureDirectory()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("unscrubbable-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sigs); try? FileManager.default.removeItem(at: work) }
        let engine = try await ClamAVEngine.load(directory: sigs)
        let pdf = work.appendingPathComponent("report.pdf"), mp4 = work.appendingPathComponent("clip.mp4"), text = work.appendingPathComponent("notes.txt")
        try Data(Self.pdf.utf8).write(to: pdf)
        try Data(Self.mp4()).write(to: mp4)
        try Data("nothing personal here\n".utf8).write(to: text)
        // exiftool agrees the inputs carry what the service must report.
        let pdfTags = try await ImagingTests.run("/usr/bin/exiftool", ["-s", "-Author", "-CreateDate", pdf.path])
        #expect(pdfTags.contains("Someone Private") && pdfTags.contains("2026"), "\(pdfTags)")
        let mp4Tags = try await ImagingTests.run("/usr/bin/exiftool", ["-s", "-GPSCoordinates", "-Make", mp4.path])
        #expect(mp4Tags.contains("GPSCoordinates") && mp4Tags.contains("FilestoreCam"), "\(mp4Tags)")
        try await APIHarness.with { h, client in
            try await Self.setPolicy(.fail, tenant: "strict", h)
            let acme = try await h.token(), strict = try await h.token("strict")
            let servedPDF = try await Self.upload(pdf, type: "application/pdf", h: h, token: acme, client: client)
            let servedMP4 = try await Self.upload(mp4, type: "video/mp4", h: h, token: acme, client: client)
            let plain = try await Self.upload(text, type: "text/plain", h: h, token: acme, client: client)
            let refusedPDF = try await Self.upload(pdf, type: "application/pdf", h: h, token: strict, client: client)
            let strictPlain = try await Self.upload(text, type: "text/plain", h: h, token: strict, client: client)
            try await PipelineProofTests.runPipeline(h, engine: engine, until: 3) {
                try await h.count("files", tenant: "strict", where: "state IN ('ready', 'failed')") == 2
            }
            let a = try await Self.file(servedPDF, h: h, token: acme, client: client)
            #expect(a.state == "ready" && a.metadata == FileResource.MetadataResource(found: ["author", "timestamps"], scrubbed: false),
                    "\(String(describing: a.metadata))")
            let (status, bytes) = try await Self.served(servedPDF, "original", h: h, token: acme, client: client)
            let uploaded = try Data(contentsOf: pdf)
            #expect(status == .ok && bytes == uploaded) // as uploaded, as the resource says
            let v = try await Self.file(servedMP4, h: h, token: acme, client: client)
            #expect(v.state == "ready" && v.metadata == FileResource.MetadataResource(found: ["author", "device", "gps"], scrubbed: false),
                    "\(String(describing: v.metadata))")
            #expect(try await Self.file(plain, h: h, token: acme, client: client).metadata == FileResource.MetadataResource(found: [], scrubbed: false))
            // The strict tenant's PDF fails with the reason and is never served; a file without personal metadata is.
            let refused = try await Self.file(refusedPDF, h: h, token: strict, client: client)
            #expect(refused.state == "failed", "\(refused.state)")
            #expect(try await h.count("audit_events", tenant: "strict", where: """
                subject_id = '\(refusedPDF)' AND action = 'file.processingFailed' AND details->>'reason' LIKE '%personal metadata (author, timestamps)%policy%fail%'
                """) == 1)
            #expect(try await Self.served(refusedPDF, "original", h: h, token: strict, client: client).0 == .conflict)
            #expect(try await Self.file(strictPlain, h: h, token: strict, client: client).state == "ready")
        }
    }

    /// A one-page PDF whose document information names an author and two dates (with its cross-reference table).
    static let pdf: String = {
        let objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                       "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
                       "<< /Author (Someone Private) /CreationDate (D:20260501120000Z) /ModDate (D:20260502120000Z) >>"]
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (i, object) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(i + 1) 0 obj \(object) endobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { out += String(repeating: "0", count: 10 - String(offset).count) + "\(offset) 00000 n \n" }
        out += "trailer << /Root 1 0 R /Info 4 0 R /Size \(objects.count + 1) >>\nstartxref\n\(xref)\n%%EOF\n"
        return out
    }()

    /// A minimal MP4: `ftyp`, then `moov` with a `udta` holding QuickTime's `©xyz` location and `©mak` make.
    static func mp4() -> [UInt8] {
        func box(_ type: [UInt8], _ body: [UInt8]) -> [UInt8] {
            let n = UInt32(8 + body.count)
            return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + type + body
        }
        func text(_ s: String) -> [UInt8] { // QuickTime international text: length, language, bytes
            let b = Array(s.utf8)
            return [UInt8(b.count >> 8), UInt8(b.count & 0xFF), 0x15, 0xC7] + b
        }
        let ftyp = box(Array("ftyp".utf8), Array("isom".utf8) + [0, 0, 2, 0] + Array("isommp41".utf8))
        var mvhd: [UInt8] = [0, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [0, 0, 0x03, 0xE8] + [0, 0, 0, 0] + [0, 1, 0, 0] + [1, 0]
        mvhd += [UInt8](repeating: 0, count: 10) + [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        mvhd += [0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0] + [UInt8](repeating: 0, count: 24) + [0, 0, 0, 2]
        let udta = box(Array("udta".utf8), box([0xA9] + Array("xyz".utf8), text("+48.8584+002.2945/"))
            + box([0xA9] + Array("mak".utf8), text("FilestoreCam")) + box([0xA9] + Array("ART".utf8), text("Someone Private")))
        return ftyp + box(Array("moov".utf8), box(Array("mvhd".utf8), mvhd) + udta)
    }
}
