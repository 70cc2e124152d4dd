import Logging

extension FilestoreConfiguration {
    /// How the process logs.
    public struct Logging: Sendable {
        /// The line format on stderr.
        public enum Format: String, Sendable, CaseIterable {
            /// One JSON object per line (`ts`, `level`, `logger`, `msg`, then the metadata).
            case json
            /// swift-log's plain text lines.
            case text
        }

        /// `LOG_LEVEL`: `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`, in any case.
        /// Default: `info`.
        public var level: Logger.Level = .info
        /// `LOG_FORMAT`: `json` or `text`. Default: `json`.
        public var format: Format = .json

        public init() {}

        init(reading r: inout SettingsReader) throws {
            r.section = "logging"
            level = try r.value("LOG_LEVEL", default: "info", accepts: Parse.choices(Logger.Level.self) + " (any case)") {
                Parse.choice($0, Logger.Level.self)
            }
            format = try r.value("LOG_FORMAT", default: "json", accepts: Parse.choices(Format.self)) { Parse.choice($0, Format.self) }
        }
    }
}
