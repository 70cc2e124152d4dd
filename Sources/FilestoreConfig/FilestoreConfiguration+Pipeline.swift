import Domain
import Jobs
import NIOCore

extension FilestoreConfiguration {
    /// The optimize step and the native thread pool that libvips and libclamav share.
    public struct Pipeline: Sendable {
        /// `FILESTORE_MAX_PIXELS`: the largest image decoded, 1-10^12 pixels (bombs are refused from the header).
        /// Default: 100 000 000.
        public var maxPixels = 100_000_000
        /// `FILESTORE_VARIANTS`: the variants made of images, `name[:size[:format]]` (`scrubbed` required).
        /// Default: `thumb:256:webp,preview:1600:webp,scrubbed`.
        public var variants = OptimizeWorker.defaultVariants
        /// `FILESTORE_TYPE_MISMATCH_POLICY`: a file whose declared type disagrees with its bytes is served as its
        /// sniffed type (`sniffed`) or ends `failed` (`fail`). Default: `sniffed`.
        public var typeMismatch = TypeMismatchPolicy.sniffed
        /// `FILESTORE_NATIVE_THREADS`: threads for libclamav and libvips calls, 1-256. Default: one per core.
        public var nativeThreads = System.coreCount

        public init() {}

        static let defaultVariantsText = "thumb:256:webp,preview:1600:webp,scrubbed"

        init(reading r: inout SettingsReader) throws {
            r.section = "pipeline"
            maxPixels = try r.value("FILESTORE_MAX_PIXELS", default: "100000000", accepts: "a whole number of pixels 1-1000000000000") {
                Parse.int($0, in: 1...1_000_000_000_000)
            }
            variants = try r.value("FILESTORE_VARIANTS", default: Self.defaultVariantsText,
                                   accepts: "name[:size[:format]] separated by commas, including scrubbed") { try OptimizeWorker.parseVariants($0) }
            typeMismatch = try r.value("FILESTORE_TYPE_MISMATCH_POLICY", default: "sniffed", accepts: Parse.choices(TypeMismatchPolicy.self)) {
                Parse.choice($0, TypeMismatchPolicy.self)
            }
            nativeThreads = try r.value("FILESTORE_NATIVE_THREADS", default: "\(System.coreCount)", accepts: "a whole number 1-256") {
                Parse.int($0, in: 1...256)
            }
        }
    }
}
