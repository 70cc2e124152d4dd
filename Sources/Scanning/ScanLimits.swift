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
