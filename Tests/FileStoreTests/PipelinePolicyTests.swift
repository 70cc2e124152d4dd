import Domain
import Jobs
import Testing

/// The pipeline's pure policies: declared-vs-sniffed types and the variant list.
@Suite struct PipelinePolicyTests {
    @Test(arguments: [
        // (declared, sniffed, agrees)
        (nil, "image/png", true), ("", "text/plain", true), ("application/octet-stream", "image/jpeg", true),
        ("image/jpeg", "image/jpeg", true), ("IMAGE/JPG; q=1", "image/jpeg", true), ("image/pjpeg", "image/jpeg", true),
        ("image/png", "image/jpeg", false), ("image/png", "text/plain", false), ("application/pdf", "application/zip", false),
        ("text/csv", "text/plain", true), ("application/json", "text/plain", true), ("application/ld+json", "text/plain", true),
        ("image/svg+xml", "text/plain", true),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip", true),
        ("application/epub+zip", "application/zip", true), ("application/x-zip-compressed", "application/zip", true),
        ("video/quicktime", "video/mp4", true), ("image/heif", "image/heic", true), ("image/avif", "image/heic", false),
        ("application/x-custom", "application/octet-stream", true), ("image/png", "application/octet-stream", false),
        ("text/plain", "application/octet-stream", false), ("text/plain", "image/png", false),
    ] as [(String?, String, Bool)])
    func declaredTypesAgreeOnlyWithWhatTheBytesAre(declared: String?, sniffed: String, agrees: Bool) {
        #expect(ContentTypes.agrees(declared: declared, sniffed: sniffed) == agrees)
    }

    @Test func variantListsParseWithDefaultsAndClearErrors() throws {
        let specs = try OptimizeWorker.parseVariants("thumb:128:avif, preview:2048, card:640:jpg,scrubbed")
        #expect(specs.map(\.name) == ["thumb", "preview", "card", "scrubbed"])
        #expect(specs.map(\.size) == [128, 2048, 640, nil])
        #expect(specs.map(\.suffix) == [".avif", nil, ".jpg", nil])
        #expect(try OptimizeWorker.parseVariants("scrubbed:full:original").count == 1)
        for bad in ["", "thumb:256:webp", "Thumb:256,scrubbed", "thumb:5,scrubbed", "thumb:256:bmp,scrubbed", "thumb:abc,scrubbed",
                    "thumb,thumb,scrubbed", "original:256,scrubbed", "scrubbed:256", "scrubbed::webp", "a:1:2:3,scrubbed"] {
            #expect(throws: OptimizeWorker.VariantSpecError.self, "\(bad)") { try OptimizeWorker.parseVariants(bad) }
        }
    }
}
