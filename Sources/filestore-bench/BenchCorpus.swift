import Foundation

/// The files the pipeline benchmark works on, generated fresh for each run so that no two are alike (libclamav
/// caches verdicts of identical files, libvips caches operations by file name).
struct BenchCorpus {
    var images: [URL]
    var others: [URL]
    var all: [URL] { images + others }
    var imageBytes: Int
    var totalBytes: Int

    /// Photograph-like JPEGs cut from one large blurred colour-noise canvas (made with the `vips` tool),
    /// random binaries, and text.
    static func generate(in dir: URL, images: Int, width: Int, height: Int, binaries: Int, binaryMiB: Int,
                         texts: Int, textMiB: Int) throws -> BenchCorpus {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let vips = "/usr/bin/vips"
        let canvasW = width * 2, canvasH = height * 2
        var bands: [String] = []
        for band in 0..<3 {
            let path = dir.appendingPathComponent("noise\(band).v").path
            try BenchSupport.run(vips, ["gaussnoise", path, "\(canvasW)", "\(canvasH)", "--mean", "128", "--sigma", "60"])
            bands.append(path)
        }
        let joined = dir.appendingPathComponent("joined.v").path, blurred = dir.appendingPathComponent("blurred.v").path
        let bytes = dir.appendingPathComponent("uchar.v").path, canvas = dir.appendingPathComponent("canvas.v").path
        try BenchSupport.run(vips, ["bandjoin", bands.joined(separator: " "), joined])
        try BenchSupport.run(vips, ["gaussblur", joined, blurred, "1.5"])
        try BenchSupport.run(vips, ["cast", blurred, bytes, "uchar"])
        try BenchSupport.run(vips, ["copy", bytes, canvas, "--interpretation", "srgb"])
        var generator = SystemRandomNumberGenerator()
        var imageFiles: [URL] = []
        for i in 0..<images {
            let out = dir.appendingPathComponent(String(format: "photo-%03d.jpg", i))
            let x = Int.random(in: 0...(canvasW - width), using: &generator), y = Int.random(in: 0...(canvasH - height), using: &generator)
            try BenchSupport.run(vips, ["crop", canvas, out.path + "[Q=88]", "\(x)", "\(y)", "\(width)", "\(height)"])
            imageFiles.append(out)
        }
        for path in bands + [joined, blurred, bytes, canvas] { try? FileManager.default.removeItem(atPath: path) }

        var others: [URL] = []
        for i in 0..<binaries {
            let out = dir.appendingPathComponent(String(format: "blob-%03d.bin", i))
            var data = Data(count: binaryMiB << 20)
            data.withUnsafeMutableBytes { raw in
                for index in stride(from: 0, to: raw.count, by: 8) {
                    raw.storeBytes(of: generator.next(), toByteOffset: index, as: UInt64.self)
                }
            }
            try data.write(to: out)
            others.append(out)
        }
        let words = ["invoice", "total", "customer", "amount", "due", "paid", "account", "reference", "order", "item",
                     "quantity", "price", "tax", "shipping", "address", "date", "number", "balance", "credit", "note"]
        for i in 0..<texts {
            let out = dir.appendingPathComponent(String(format: "text-%03d.txt", i))
            var text = ""
            text.reserveCapacity(textMiB << 20)
            while text.utf8.count < textMiB << 20 {
                for _ in 0..<12 { text += words[Int.random(in: 0..<words.count, using: &generator)] + " " }
                text += "\(Int.random(in: 0..<1_000_000, using: &generator))\n"
            }
            try text.write(to: out, atomically: false, encoding: .utf8)
            others.append(out)
        }
        func size(_ urls: [URL]) -> Int {
            urls.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1.path)[.size] as? Int) ?? 0) }
        }
        return BenchCorpus(images: imageFiles, others: others, imageBytes: size(imageFiles), totalBytes: size(imageFiles + others))
    }

    /// A signature folder of `count` random 16-byte body signatures (`.ndb`) and as many MD5 hashes (`.hdb`),
    /// plus the EICAR test string — for machines without freshclam's database (offline, as in CI).
    static func writeSignatures(in dir: URL, count: Int) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        func hex(_ n: Int) -> String {
            (0..<n).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        }
        var ndb = "Bench.EICAR:0:*:" + Array("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*".utf8)
            .map { String(format: "%02x", $0) }.joined() + "\n"
        var hdb = ""
        for i in 0..<count {
            ndb += "Bench.Synthetic.Body.\(i):0:*:\(hex(16))\n"
            hdb += "\(hex(16)):\(Int.random(in: 1_000...10_000_000, using: &generator)):Bench.Synthetic.Hash.\(i)\n"
        }
        try ndb.write(to: dir.appendingPathComponent("bench.ndb"), atomically: true, encoding: .utf8)
        try hdb.write(to: dir.appendingPathComponent("bench.hdb"), atomically: true, encoding: .utf8)
    }

    /// `vipsthumbnail` making the worker's three outputs of every image, one output kind per invocation
    /// (each invocation works through all the images): 256 px WebP, 1600 px WebP, full-size JPEG, all stripped.
    /// Returns the seconds taken.
    static func vipsthumbnailReference(_ images: [URL], scratch: URL) throws -> Double {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let paths = images.map(\.path)
        let start = ContinuousClock.now
        try BenchSupport.run("/usr/bin/vipsthumbnail", paths + ["-s", "256", "-o", scratch.path + "/%s_thumb.webp[strip]"])
        try BenchSupport.run("/usr/bin/vipsthumbnail", paths + ["-s", "1600", "-o", scratch.path + "/%s_preview.webp[strip]"])
        try BenchSupport.run("/usr/bin/vipsthumbnail", paths + ["-s", "100000x100000>", "-o", scratch.path + "/%s_scrubbed.jpg[strip]"])
        let seconds = (ContinuousClock.now - start).seconds
        try? FileManager.default.removeItem(at: scratch)
        return seconds
    }
}
