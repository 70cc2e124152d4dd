import Foundation

extension FilestoreConfiguration {
    /// Where file bytes live.
    public struct Blobs: Sendable {
        /// `FILESTORE_BLOB_DIR` (flags `--blob-dir`, `--worker-blob-dir`): the local blob store's root folder,
        /// created when missing. Default: `.data/blobs` (relative to the working directory).
        public var directory = ".data/blobs"

        public init() {}

        /// The root as a file URL.
        public var directoryURL: URL { URL(fileURLWithPath: directory) }

        init(reading r: inout SettingsReader) throws {
            r.section = "blobs"
            directory = try r.value("FILESTORE_BLOB_DIR", default: directory, accepts: "a folder path") { $0 }
        }
    }
}
