import CVipsShim
import Foundation

/// What libvips said about one failed call, attributed to that call alone.
///
/// libvips keeps a single error buffer for the whole process, written by every thread, its own worker threads
/// included, so the text read after a failure may hold other calls' messages — other files' paths, other
/// tenants' files. The shim reports whether the call ran alone (`solo`: no other libvips call overlapped it,
/// and the buffer was cleared when the shim was last idle, so every line is this call's). Otherwise only the
/// lines that name this call's own files are kept. In both cases this call's paths are replaced by what they
/// are ("the image", "the output") and any line still naming a path is dropped, so a reason never carries a
/// path: not another file's, and not the service's own layout.
public struct VipsFailure: Sendable, Hashable {
    /// The error buffer as the shim copied it.
    public var message: String
    /// Whether no other libvips call overlapped the failed one.
    public var solo: Bool

    public init(message: String, solo: Bool) {
        self.message = message
        self.solo = solo
    }

    init(_ error: fs_vips_error) {
        var error = error
        let text = withUnsafeBytes(of: &error.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        self.init(message: text, solo: error.solo != 0)
    }

    /// The reason to record: this call's own lines, its paths named by role; a fixed sentence when nothing of
    /// its own is left.
    public func reason(input: String, output: String? = nil) -> String {
        var lines: [String] = []
        for raw in message.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            let own = line.contains(input) || (output.map { line.contains($0) } ?? false)
            guard solo || own else { continue }
            line = line.replacingOccurrences(of: input, with: "the image")
            if let output { line = line.replacingOccurrences(of: output, with: "the output") }
            guard !Self.namesAPath(line), !lines.contains(line) else { continue }
            lines.append(line)
        }
        guard !lines.isEmpty else {
            return solo ? "libvips gave no reason" : "libvips gave no reason of this image's own (other images were processed at the same time)"
        }
        return String(lines.joined(separator: "; ").prefix(400))
    }

    /// Whether `line` holds something that looks like an absolute path (a `/` at the start of a word or quote).
    static func namesAPath(_ line: String) -> Bool {
        var previous: Character = " "
        for c in line {
            if c == "/", previous == " " || previous == "\"" || previous == "'" || previous == "(" || previous == "=" { return true }
            previous = c
        }
        return false
    }
}
