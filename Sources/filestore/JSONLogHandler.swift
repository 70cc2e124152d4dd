import FilestoreConfig
import Foundation
import Logging

/// One JSON object per line on stderr: `ts`, `level`, `logger`, `msg`, then the metadata (request id,
/// tenant, job id, trace id, …) as top-level keys, in sorted order. Chosen with `LOG_FORMAT=json` (the default) or `text`.
struct JSONLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    let label: String

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = [
            "ts": Self.timestamp(), "level": event.level.rawValue, "logger": label, "msg": "\(event.message)",
        ]
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { object[k] = Self.plain(v) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardError.write(data + Data("\n".utf8))
    }

    static func plain(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return "\(c)"
        case .array(let a): return a.map(plain)
        case .dictionary(let d): return d.mapValues(plain)
        }
    }

    /// `2026-12-02T17:16:00.123Z` (UTC, milliseconds). Formatted by hand: Foundation's ISO 8601 format style
    /// cost more than the rest of a request's log line (issue 19).
    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = time_t(tv.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = Int(tv.tv_usec) / 1000
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(msText)Z"
    }
}

/// Installs the process's log handler once, in the configured format and level (`LOG_FORMAT`, `LOG_LEVEL`).
func bootstrapLogging(_ logging: FilestoreConfiguration.Logging) {
    let level = logging.level
    switch logging.format {
    case .text:
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    case .json:
        LoggingSystem.bootstrap { label in
            var h = JSONLogHandler(label: label)
            h.logLevel = level
            return h
        }
    }
}
