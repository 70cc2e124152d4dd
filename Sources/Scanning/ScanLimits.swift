import Foundation

/// libclamav's limits. A file that hits one is not called clean: the scan reports
/// `Heuristics.Limits.Exceeded…` and the file follows ``ScanPolicy/limitExceeded`` (quarantine by default).
public struct ScanLimits: Sendable, Hashable {
    /// Largest file scanned. Default: 100 MiB.
    public var maxFileSize: Int64
    /// Most data scanned in one file, archives included. Default: 400 MiB.
    public var maxScanSize: Int64
    /// Deepest archive recursion. Default: 16.
    public var maxRecursion: Int
    /// Most files scanned inside one archive. Default: 10 000.
    public var maxFiles: Int
    /// Longest scan in milliseconds. Default: 120 000.
    public var maxScanTimeMS: Int

    public init(maxFileSize: Int64 = 100 << 20, maxScanSize: Int64 = 400 << 20, maxRecursion: Int = 16,
                maxFiles: Int = 10_000, maxScanTimeMS: Int = 120_000) {
        self.maxFileSize = maxFileSize
        self.maxScanSize = maxScanSize
        self.maxRecursion = maxRecursion
        self.maxFiles = maxFiles
        self.maxScanTimeMS = maxScanTimeMS
    }
}

extension ScanLimits {
    /// Opens `path` for a scan (blocking; call it on a thread pool) and hands the descriptor to `scan`, unless
    /// the file is over ``maxFileSize``: such a file is never called clean, and the verdict says so explicitly
    /// rather than relying on how a backend names its heuristic.
    func withFile(_ path: String, _ scan: (Int32) throws -> ScanVerdict) throws -> ScanVerdict {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ScanError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, Int64(st.st_size) > maxFileSize {
            return .infected(signature: "Heuristics.Limits.Exceeded.MaxFileSize")
        }
        return try scan(fd)
    }

    /// A limit list that cannot be parsed.
    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses `file=100MiB,scan=400MiB,recursion=16,files=10000,time=120s` (the form of `FILESTORE_SCAN_LIMITS`);
    /// keys left out keep their defaults. Sizes take `B`, `KiB`, `MiB`, `GiB` (or none: bytes); time takes `ms`
    /// or `s` (or none: seconds).
    public static func parse(_ text: String) throws -> ScanLimits {
        var limits = ScanLimits()
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { throw ParseError(description: "'\(part)': expected key=value") }
            let (key, value) = (kv[0], kv[1])
            func number(_ units: [(String, Int64)], _ fallback: Int64) throws -> Int64 {
                for (suffix, factor) in units where value.hasSuffix(suffix) {
                    if let n = Int64(value.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), n > 0, n <= Int64.max / factor {
                        return n * factor
                    }
                }
                if let n = Int64(value), n > 0, n <= Int64.max / fallback { return n * fallback }
                throw ParseError(description: "'\(part)': \(key) must be a positive number\(units.isEmpty ? "" : " with one of " + units.map(\.0).joined(separator: ", "))")
            }
            let sizes: [(String, Int64)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1)]
            switch key {
            case "file": limits.maxFileSize = try number(sizes, 1)
            case "scan": limits.maxScanSize = try number(sizes, 1)
            case "recursion": limits.maxRecursion = Int(try number([], 1))
            case "files": limits.maxFiles = Int(try number([], 1))
            case "time": limits.maxScanTimeMS = Int(try number([("ms", 1), ("s", 1000)], 1000))
            default: throw ParseError(description: "'\(part)': unknown limit '\(key)'; limits are file, scan, recursion, files, time")
            }
        }
        guard limits.maxScanSize >= limits.maxFileSize else {
            throw ParseError(description: "scan (\(limits.maxScanSize) bytes) must be at least file (\(limits.maxFileSize) bytes)")
        }
        return limits
    }
}

/// What a scan found.
public enum ScanVerdict: Sendable, Hashable {
    case clean
    /// Malware (or a heuristic such as an exceeded limit), with the signature name.
    case infected(signature: String)

    /// Whether the signature is the limits heuristic rather than malware.
    public var isLimitExceeded: Bool {
        if case .infected(let s) = self { return s.hasPrefix("Heuristics.Limits.Exceeded") }
        return false
    }
}

/// A scanner failure (the file's verdict is unknown: the job retries, the file stays unservable).
public struct ScanError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "scan failed: \(message)" }
}
