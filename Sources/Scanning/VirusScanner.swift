/// A virus scanner: libclamav in-process (``ClamAVEngine``) or a shared clamd (``ClamdScanner``), chosen by
/// configuration; both pass the same tests.
public protocol VirusScanner: Sendable {
    /// The limits the scanner applies; a file over them is never called clean.
    var limits: ScanLimits { get }
    /// Scans the file at `path`.
    func scan(path: String) async throws -> ScanVerdict
}

extension ClamAVEngine: VirusScanner {}
