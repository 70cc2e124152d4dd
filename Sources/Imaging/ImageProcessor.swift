import CVipsShim
import Foundation
import NIOPosix

/// What an image is, from its header alone.
public struct ImageInfo: Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// The libvips loader, e.g. `jpegload`, `pngload`, `webpload`.
    public var loader: String
    public var pixels: Int { width * height }

    public init(width: Int, height: Int, loader: String) {
        self.width = width
        self.height = height
        self.loader = loader
    }
}

/// An image that cannot be processed: corrupt, unsupported, or too large to decode safely.
public struct ImageError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Image variants and metadata scrubbing with libvips, for untrusted input: unsafe loaders blocked, a pixel
/// limit checked from the header before anything is decoded (decompression bombs are refused, not decoded),
/// a bounded cache and thread count, and every call on a `NIOThreadPool`.
public struct ImageProcessor: Sendable {
    /// Most pixels an image may have. Default: 100 megapixels.
    public var maxPixels: Int
    let pool: NIOThreadPool

    static let initialized: Result<Void, ImageError> = {
        fs_vips_init(2, 50) == 0 ? .success(()) : .failure(ImageError("libvips failed to start: \(takeError())"))
    }()

    public init(maxPixels: Int = 100_000_000, pool: NIOThreadPool = .singleton) throws {
        try Self.initialized.get()
        self.maxPixels = maxPixels
        self.pool = pool
    }

    /// Reads the header of the image at `path` (`nil` if libvips has no loader for it: not an image).
    public func probe(_ path: String) async throws -> ImageInfo? {
        try await pool.runIfActive {
            var width: Int32 = 0, height: Int32 = 0
            var loader = [CChar](repeating: 0, count: 64)
            guard fs_vips_probe(path, &width, &height, &loader, 64) == 0 else {
                let reason = Self.takeError()
                if reason.contains("is not a known file format") || reason.isEmpty { return nil }
                throw ImageError("cannot read image header: \(reason)")
            }
            return ImageInfo(width: Int(width), height: Int(height), loader: String(cString: loader))
        }
    }

    /// Refuses images over the pixel limit.
    public func check(_ info: ImageInfo) throws {
        guard info.pixels <= maxPixels else {
            throw ImageError("image of \(info.width)×\(info.height) exceeds the limit of \(maxPixels) pixels")
        }
    }

    /// A thumbnail at most `size` pixels on its longer side into `output` (format by suffix), no metadata.
    public func thumbnail(_ input: String, to output: String, size: Int) async throws {
        try await pool.runIfActive {
            guard fs_vips_thumbnail(input, output, Int32(size)) == 0 else { throw ImageError("thumbnail failed: \(Self.takeError())") }
            try Self.finishWebP(output)
        }
    }

    /// The image re-encoded without any metadata (orientation applied) into `output`.
    public func scrub(_ input: String, to output: String) async throws {
        try await pool.runIfActive {
            guard fs_vips_scrub(input, output) == 0 else { throw ImageError("scrub failed: \(Self.takeError())") }
            try Self.finishWebP(output)
        }
    }

    /// The metadata the file at `path` carries (``MetadataInspector``, libexif), read on the thread pool.
    public func inspectMetadata(_ path: String) async throws -> MetadataReport {
        try await pool.runIfActive { try MetadataInspector.inspect(path: path) }
    }

    /// WebP output gets its EXIF/XMP chunks removed (the saver writes some even when told to strip).
    static func finishWebP(_ path: String) throws {
        guard path.lowercased().hasSuffix(".webp") else { return }
        let url = URL(fileURLWithPath: path)
        guard let clean = WebPMetadata.strip(try Data(contentsOf: url)) else { throw ImageError("libvips wrote a malformed WebP file") }
        try clean.write(to: url, options: .atomic)
    }

    static func takeError() -> String {
        var buffer = [CChar](repeating: 0, count: 2048)
        fs_vips_take_error(&buffer, 2048)
        return String(cString: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
