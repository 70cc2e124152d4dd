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
import Scanning
import Storage
import TestSupport
import Testing

/// The pipeline's proof, through the HTTP API and real workers (libclamav, libvips, the blob store, PostgreSQL):
/// direct and tus uploads of images in several formats reach `ready` with every variant served without
/// metadata; the EICAR file, a corrupt image, a decompression bomb, a file over the scan limit and a file whose
/// declared type lies each end where the policy says, while the same worker goes on; a delete purges the bytes.
@Suite struct PipelineProofTests {
    static func tus(_ h: APIHarness, _ token: String, _ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var headers = h.headers(token, extra)
        headers[HTTPField.Name("Tus-Resumable")!] = "1.0.0"
        return headers
    }

    static func name(_ s: String) -> HTTPField.Name { HTTPField.Name(s)! }

    /// Uploads `bytes` with tus in two PATCH requests and returns the file id.
    static func tusUpload(_ bytes: [UInt8], filename: String, h: APIHarness, token: String, client: any TestClientProtocol) async throws -> String {
        let meta = "filename \(Data(filename.utf8).base64EncodedString())"
        let location = try await client.execute(uri: "/v1/uploads", method: .post,
                                                headers: tus(h, token, [name("Upload-Length"): "\(bytes.count)", name("Upload-Metadata"): meta])) {
            $0.headers[.location] ?? ""
        }
        let half = bytes.count / 2
        for range in [0..<half, half..<bytes.count] {
            try await client.execute(uri: location, method: .patch,
                                     headers: tus(h, token, [.contentType: "application/offset+octet-stream", name("Upload-Offset"): "\(range.lowerBound)"]),
                                     body: ByteBuffer(bytes: bytes[range])) { #expect($0.status == .noContent) }
        }
        return try await client.execute(uri: location, method: .head, headers: tus(h, token)) { $0.headers[name("Filestore-File-Id")] ?? "" }
    }

    /// Runs scan, optimize and purge workers until `count` files of tenant `acme` are in a final state (and
    /// `done` holds).
    static func runPipeline(_ h: APIHarness, engine: ClamAVEngine, limitPolicy: LimitPolicy = .quarantine,
                            typeMismatch: TypeMismatchPolicy = .sniffed, until count: Int,
                            and done: @escaping @Sendable () async throws -> Bool = { true }) async throws {
        var registry = JobRegistry()
        let blobs = h.core.blobs
        registry.register(ScanWorker(scanner: engine, core: h.core, limitPolicy: limitPolicy))
        registry.register(OptimizeWorker(images: try ImageProcessor(maxPixels: 50_000_000), core: h.core,
                                         typeMismatch: typeMismatch))
        registry.register(PurgeWorker(core: h.core))
        try await h.env.withWorker(registry, TestEnv.fastWorker(queues: [.init("scan"), .init("optimize"), .init("maintenance")])) {
            (_: JobWorkerService) async throws in
            try await eventually("\(count) files through the pipeline", timeout: .seconds(120)) {
                let settled = try await h.count("files", where: "state IN ('ready', 'failed', 'quarantined', 'deleted')") == count
                return try await settled ? done() : false
            }
        }
    }

    @Test func everyPathEndsWhereThePolicySaysAndServesNoMetadata() async throws {
        let sigs = try ClamAVTests.signatureDirectory()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("proof-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sigs); try? FileManager.default.removeItem(at: work) }
        // Files over 1 MiB hit the scan limit.
        let engine = try await ClamAVEngine.load(directory: sigs, limits: ScanLimits(maxFileSize: 1 << 20))
        let jpeg = [UInt8](try await Data(contentsOf: ImagingTests.photo(in: work, as: "jpg")))
        let avif = [UInt8](try await Data(contentsOf: ImagingTests.photo(in: work, as: "avif")))
        let png = [UInt8](try await Data(contentsOf: ImagingTests.photo(in: work, as: "png")))
        let bombURL = work.appendingPathComponent("bomb.png")
        _ = try await ImagingTests.run("/usr/bin/vips", ["black", bombURL.path, "9000", "9000"])
        let bomb = [UInt8](try Data(contentsOf: bombURL))
        let corrupt = Array(jpeg.prefix(jpeg.count / 2))
        var generator = SystemRandomNumberGenerator()
        let oversized = (0..<(1_572_864)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try await APIHarness.with { h, client in
            let token = try await h.token()
            func upload(_ bytes: [UInt8], _ filename: String, type: String? = nil) async throws -> String {
                var extra: [HTTPField.Name: String] = [Self.name("Upload-Filename"): filename]
                if let type { extra[.contentType] = type }
                return try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, extra), body: ByteBuffer(bytes: bytes)) {
                    try decode(FileResource.self, $0).id
                }
            }
            let byTus = try await Self.tusUpload(jpeg, filename: "tus.jpg", h: h, token: token, client: client)
            let heif = try await upload(avif, "photo.avif", type: "image/avif")
            let pngID = try await upload(png, "photo.png", type: "image/png")
            let eicar = try await upload(Array(ClamAVTests.eicar.utf8), "eicar.txt")
            let broken = try await upload(corrupt, "broken.jpg", type: "image/jpeg")
            let bombID = try await upload(bomb, "bomb.png")
            let big = try await upload(oversized, "big.bin")
            let liar = try await upload(Array("name,amount\nx,1\n".utf8), "lies.png", type: "image/png")
            let csv = try await upload(Array("name,amount\nx,1\n".utf8), "fine.csv", type: "text/csv")
            try await Self.runPipeline(h, engine: engine, until: 9)

            func file(_ id: String) async throws -> FileResource {
                try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: h.headers(token)) { try decode(FileResource.self, $0) }
            }
            for id in [byTus, heif, pngID, liar, csv] { #expect(try await file(id).state == "ready", "\(id)") }
            for id in [broken, bombID] { #expect(try await file(id).state == "failed", "\(id)") }
            let quarantined = try await file(eicar), overLimit = try await file(big)
            #expect(quarantined.state == "quarantined" && quarantined.scan.status == "infected" && quarantined.scan.signature == "Filestore.Test.EICAR.UNOFFICIAL")
            #expect(overLimit.state == "quarantined" && overLimit.scan.status == "limit_exceeded", "\(overLimit.scan)")
            #expect(overLimit.scan.signature?.hasPrefix("Heuristics.Limits.Exceeded") == true)
            // The declared type is recorded; the file is served as what it is.
            let lying = try await file(liar)
            #expect(lying.type_mismatch && lying.content_type == "text/plain" && lying.declared_content_type == "image/png")
            #expect(try await file(csv).type_mismatch == false)
            #expect(try await file(byTus).type_mismatch == false)
            #expect(try await file(heif).type_mismatch == false)
            // The failures say why, in the audit trail.
            #expect(try await h.count("audit_events", where: "subject_id = '\(broken)' AND action = 'file.processingFailed' AND details->>'reason' <> ''") == 1)
            // The worker stayed healthy: nothing crashed, retried or went to the dead-letter queue.
            #expect(try await h.env.count(.discarded) == 0)
            #expect(try await h.env.count(.retryable) == 0)

            // Every variant of every image, fetched by signed URL, carries no metadata (exiftool and libexif).
            func signed(_ id: String, _ variant: String) async throws -> String {
                try await client.execute(uri: "/v1/files/\(id)/urls", method: .post, headers: h.headers(token, [.contentType: "application/json"]),
                                         body: ByteBuffer(string: "{\"variant\": \"\(variant)\"}")) {
                    (try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any])?["url"] as? String ?? ""
                }
            }
            for (id, originalType) in [(byTus, "image/jpeg"), (heif, "image/avif"), (pngID, "image/png")] {
                let resource = try await file(id)
                #expect(resource.scan.status == "clean" && resource.scan.scanned_at != nil)
                #expect(resource.variants.map(\.name) == ["preview", "scrubbed", "thumb"], "\(resource.variants)")
                #expect(resource.variants.first { $0.name == "thumb" }?.width == 256)
                for (variant, type) in [("original", originalType), ("scrubbed", originalType), ("thumb", "image/webp"), ("preview", "image/webp")] {
                    let served = try await client.execute(uri: try await signed(id, variant), method: .get) { (r: TestResponse) throws -> Data in
                        #expect(r.status == .ok, "\(originalType) \(variant)")
                        #expect(r.headers[.contentType] == type, "\(originalType) \(variant)")
                        return Data(buffer: r.body)
                    }
                    let path = work.appendingPathComponent("served-\(id)-\(variant)")
                    try served.write(to: path)
                    #expect(try await ImagingTests.metadata(path) == [], "\(originalType) \(variant) (exiftool)")
                    let report = MetadataInspector.inspect(served)
                    #expect(report.isClean, "\(originalType) \(variant) (libexif): \(report)")
                }
            }
            // Nothing that is not ready is served, by any URL.
            for id in [eicar, broken, bombID, big] {
                try await client.execute(uri: try await signed(id, "original"), method: .get) { #expect($0.status == .conflict, "\(id)") }
            }
            try await client.execute(uri: try await signed(liar, "original"), method: .get) { (r: TestResponse) throws in
                #expect(r.headers[.contentType] == "text/plain" && r.headers[Self.name("X-Content-Type-Options")] == "nosniff")
            }
            // The list shows the same scan results and variants.
            let page = try await client.execute(uri: "/v1/files?limit=100", method: .get, headers: h.headers(token)) { try decode(FilePage.self, $0) }
            #expect(page.files.first { $0.id == heif }?.variants.count == 3)
            #expect(page.files.first { $0.id == big }?.scan.status == "limit_exceeded")

            // A delete purges the original and every variant from the blob store; the row stays, marked.
            #expect(h.blobFiles().filter { $0.contains(byTus) }.count == 4)
            // A blob no row points to any more (say, a variant taken out of FILESTORE_VARIANTS) goes with the folder.
            try Data("old variant".utf8).write(to: h.blobRoot.appendingPathComponent("tenants/acme/files/\(byTus)/card"))
            try await client.execute(uri: "/v1/files/\(byTus)", method: .delete, headers: h.headers(token)) { #expect($0.status == .ok) }
            try await Self.runPipeline(h, engine: engine, until: 9) {
                try await h.count("files", where: "id = '\(byTus)' AND purged_at IS NOT NULL") == 1
            }
            #expect(h.blobFiles().filter { $0.contains(byTus) } == [])
            #expect(!FileManager.default.fileExists(atPath: h.blobRoot.appendingPathComponent("tenants/acme/files/\(byTus)").path))
            #expect(try await h.count("file_variants", where: "file_id = '\(byTus)'") == 0)
            #expect(try await h.count("audit_events", where: "subject_id = '\(byTus)' AND action = 'file.purged'") == 1)
            #expect(h.blobFiles().filter { $0.contains(heif) }.count == 4) // other files untouched
        }
    }

    @Test func theOverLimitAndMismatchPoliciesCanBeChanged() async throws {
        let sigs = try ClamAVTests.signatureDirectory()
        defer { try? FileManager.default.removeItem(at: sigs) }
        let engine = try await ClamAVEngine.load(directory: sigs, limits: ScanLimits(maxFileSize: 4096))
        try await APIHarness.with { h, client in
            let token = try await h.token()
            func upload(_ bytes: [UInt8], type: String) async throws -> String {
                try await client.execute(uri: "/v1/files", method: .post, headers: h.headers(token, [.contentType: type]), body: ByteBuffer(bytes: bytes)) {
                    try decode(FileResource.self, $0).id
                }
            }
            let big = try await upload(Array(repeating: UInt8(ascii: "a"), count: 8192), type: "text/plain")
            let liar = try await upload(Array("not a picture\n".utf8), type: "image/jpeg")
            try await Self.runPipeline(h, engine: engine, limitPolicy: .allow, typeMismatch: .fail, until: 2)
            // allow: over the limit is let through (the verdict still recorded); fail: the lying file never becomes servable.
            #expect(try await h.count("files", where: "id = '\(big)' AND state = 'ready' AND scan_signature LIKE 'Heuristics.Limits.Exceeded%'") == 1)
            #expect(try await h.count("files", where: "id = '\(liar)' AND state = 'failed' AND type_mismatch") == 1)
            #expect(try await h.count("audit_events", where: "subject_id = '\(liar)' AND details->>'reason' LIKE 'declared type image/jpeg disagrees%'") == 1)
        }
    }
}
