import Jobs
import Scanning

extension FilestoreConfiguration {
    /// Virus scanning (`scan` queue workers).
    public struct Scanner: Sendable {
        /// The scanning engine.
        public enum Backend: String, Sendable, CaseIterable {
            /// libclamav in the worker process.
            case libclamav
            /// A shared clamd over its Unix socket.
            case clamd
        }

        /// `FILESTORE_SCANNER`: `libclamav` or `clamd`. Default: `libclamav`.
        public var backend = Backend.libclamav
        /// `FILESTORE_CLAMAV_DB`: the signature folder libclamav loads (freshclam's). Default: `/var/lib/clamav`.
        public var signatureDirectory = "/var/lib/clamav"
        /// `FILESTORE_CLAMD_SOCKET`: clamd's socket. Default: `/var/run/clamav/clamd.ctl`.
        public var clamdSocket = "/var/run/clamav/clamd.ctl"
        /// `FILESTORE_SCAN_LIMITS`: libclamav's limits, any subset of
        /// `file=100MiB,scan=400MiB,recursion=16,files=10000,time=120s`. Default: those values.
        public var limits = ScanLimits()
        /// `FILESTORE_SCAN_LIMIT_POLICY`: a file over a scan limit is `quarantine`d or `allow`ed.
        /// Default: `quarantine`.
        public var limitPolicy = LimitPolicy.quarantine
        /// `FILESTORE_CLAMAV_RELOAD_SECONDS`: how often the signature folder is checked for changes, in whole
        /// seconds (0: never). Default: 60.
        public var reloadSeconds = 60

        public init() {}

        static let defaultLimitsText = "file=100MiB,scan=400MiB,recursion=16,files=10000,time=120s"

        init(reading r: inout SettingsReader) throws {
            r.section = "scanner"
            backend = try r.value("FILESTORE_SCANNER", default: "libclamav", accepts: Parse.choices(Backend.self)) { Parse.choice($0, Backend.self) }
            signatureDirectory = try r.value("FILESTORE_CLAMAV_DB", default: signatureDirectory, accepts: "a folder path") { $0 }
            clamdSocket = try r.value("FILESTORE_CLAMD_SOCKET", default: clamdSocket, accepts: "a socket path") { $0 }
            limits = try r.value("FILESTORE_SCAN_LIMITS", default: Self.defaultLimitsText,
                                 accepts: "key=value pairs of file, scan (sizes), recursion, files (numbers), time (ms or s)") {
                try ScanLimits.parse($0)
            }
            limitPolicy = try r.value("FILESTORE_SCAN_LIMIT_POLICY", default: "quarantine", accepts: "quarantine or allow") {
                LimitPolicy(rawValue: $0.lowercased())
            }
            reloadSeconds = try r.value("FILESTORE_CLAMAV_RELOAD_SECONDS", default: "60", accepts: "a whole number of seconds ≥ 0 (0: off)") {
                Parse.int($0, in: 0...86_400)
            }
        }
    }
}
