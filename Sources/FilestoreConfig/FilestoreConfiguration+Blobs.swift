import Foundation

extension FilestoreConfiguration {
    /// Where file bytes live.
    public struct Blobs: Sendable {
        /// `FILESTORE_BLOB_DIR` (flags `--blob-dir`, `--worker-blob-dir`): the local blob store's root folder,
        /// created when missing. Default: `.data/blobs` (relative to the working directory).
        public var directory = ".data/blobs"
        /// `FILESTORE_BLOB_REGIONS` (`region=folder,…`; with `FILESTORE_BLOB_STORE=s3` a region may be `s3://bucket`, a
        /// bucket of the same endpoint and credentials): data residency — one store per region, a tenant's
        /// `region` choosing where all its bytes go (variants and staged uploads included); region `local`, every
        /// tenant's default, is `FILESTORE_BLOB_DIR` unless named here. A tenant of a region without a store is
        /// refused (503 `REGION_UNAVAILABLE`), never stored elsewhere. Default: none (one store for everyone).
        public var regions: [String: String] = [:]
        /// `FILESTORE_BLOB_STORE`: `local` (files under `directory`) or `s3` (a bucket, ``s3``; `directory` then holds
        /// only local, disposable things: staged tus parts, native engines' working copies). Default: `local`.
        public var backend: Backend = .local
        /// The bucket's settings, set when `backend` is `s3`.
        public var s3: S3?

        public init() {}

        /// The root as a file URL.
        public var directoryURL: URL { URL(fileURLWithPath: directory) }

        init(reading r: inout SettingsReader) throws {
            r.section = "blobs"
            directory = try r.value("FILESTORE_BLOB_DIR", default: directory, accepts: "a folder path") { $0 }
            regions = try r.value("FILESTORE_BLOB_REGIONS", default: "", accepts: "region=folder pairs separated by commas (regions of a-z 0-9 _ -)") {
                Self.parseRegions($0)
            }
            try readBackend(&r)
        }

        /// `eu=/srv/eu,us=/srv/us` → a map; `nil` for a malformed or repeated region.
        static func parseRegions(_ text: String) -> [String: String]? {
            var out: [String: String] = [:]
            for part in text.split(separator: ",") {
                let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2, !pair[1].isEmpty, !pair[0].isEmpty, out[pair[0]] == nil,
                      pair[0].unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) else {
                    return nil
                }
                out[pair[0]] = pair[1]
            }
            return out
        }
    }
}
