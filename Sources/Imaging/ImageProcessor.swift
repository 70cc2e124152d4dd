import CVipsShim
import Foundation
import NIOPosix

/// What an image is, from its header alone.
public struct ImageInfo: Sendable, Hashable {
    public var width: Int
    public var height: Int
    /// The libvips loader, e.g. `jpegload`, `pngload`, `webpload`.
    public var loader: String
    /// The EXIF orientation (1–8; 1 when there is none, and for HEIF/AVIF, whose rotation libheif applies).
    public var orientation: Int
    public var pixels: Int { width * height }

    public init(width: Int, height: Int, loader: String, orientation: Int = 1) {
        self.width = width
        self.height = height
        self.loader = loader
        self.orientation = orientation
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
        fs_vips_init(2, 50) == 0 ? .success(()) : .failure(ImageError("libvips failed to start"))
    }()

    public init(maxPixels: Int = 100_000_000, pool: NIOThreadPool = .singleton) throws {
        try Self.initialized.get()
        self.maxPixels = maxPixels
        self.pool = pool
    }

    /// Reads the header of the image at `path` (`nil` if libvips has no loader for it: not an image).
    public func probe(_ path: String) async throws -> ImageInfo? {
        try await pool.runIfActive {
            var width: Int32 = 0, height: Int32 = 0, orientation: Int32 = 1
            var loader = [CChar](repeating: 0, count: 64)
            var error = fs_vips_error()
            switch fs_vips_probe(path, &width, &height, &orientation, &loader, 64, &error) {
            case 0: return ImageInfo(width: Int(width), height: Int(height), loader: String(cString: loader), orientation: Int(orientation))
            case -2: return nil
            default: throw ImageError("cannot read image header: \(VipsFailure(error).reason(input: path))")
            }
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
            var error = fs_vips_error()
            guard fs_vips_thumbnail(input, output, Int32(size), &error) == 0 else {
                throw ImageError("thumbnail failed: \(VipsFailure(error).reason(input: input, output: output))")
            }
            try Self.finishWebP(output)
        }
    }

    /// The image re-encoded without any metadata (orientation applied) into `output`.
    public func scrub(_ input: String, to output: String) async throws {
        try await pool.runIfActive {
            var error = fs_vips_error()
            guard fs_vips_scrub(input, output, &error) == 0 else {
                throw ImageError("scrub failed: \(VipsFailure(error).reason(input: input, output: output))")
            }
            try Self.finishWebP(output)
        }
    }

    /// The metadata the file at `path` carries (``MetadataInspector``, libexif), read on the thread pool.
    public func inspectMetadata(_ path: String) async throws -> MetadataReport {
        try await pool.runIfActive { try MetadataInspector.inspect(path: path) }
    }

    /// The kinds of personal metadata in a file of any type (PDF, video, an image format not processed…), from its
    /// first and last 16 MiB — where containers keep their metadata — on the thread pool.
    public func inspectPersonalMetadata(_ path: String) async throws -> Set<PersonalMetadata> {
        try await pool.runIfActive { try MetadataInspector.inspect(path: path, window: 16 << 20).personal }
    }

    /// WebP output gets its EXIF/XMP chunks removed (the saver writes some even when told to strip).
    static func finishWebP(_ path: String) throws {
        guard path.lowercased().hasSuffix(".webp") else { return }
        let url = URL(fileURLWithPath: path)
        guard let clean = WebPMetadata.strip(try Data(contentsOf: url)) else { throw ImageError("libvips wrote a malformed WebP file") }
        try clean.write(to: url, options: .atomic)
    }
}
