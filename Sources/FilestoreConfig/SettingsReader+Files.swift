import Foundation

extension SettingsReader {
    /// Reads a secret setting that may instead come from a file: `variable` itself, or `variable_FILE` naming a
    /// readable file whose contents (surrounding whitespace trimmed) are the value — how Kubernetes and systemd
    /// hand secrets over without putting them in the environment. Both set is an error naming both; an unreadable
    /// or empty file is an error naming the variable and the path. The value is parsed and redacted as
    /// ``optional(_:default:accepts:secret:redact:_:)`` does; `variable_FILE` is recorded with its path only.
    mutating func optionalSecret<T>(_ variable: String, default defaultText: String? = nil, accepts: String,
                                    redact: @escaping (String) -> String, _ parse: (String) throws -> T?) throws -> T? {
        let fileVariable = variable + "_FILE"
        let direct = raw(variable, secret: true)
        // A flag names the value outright and wins over both the environment and the file.
        guard direct?.source != .flag, let (path, source) = raw(fileVariable) else {
            record(fileVariable, nil, .default)
            return try optional(variable, default: defaultText, accepts: accepts, secret: true, redact: redact, parse)
        }
        if direct != nil {
            throw ConfigurationError.invalid(variable, value: nil, source: .env, accepts: accepts,
                                             detail: "both \(variable) and \(fileVariable) are set: set one of them")
        }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw ConfigurationError(.unreadableFile, variable: fileVariable, message: "cannot read \(fileVariable)='\(path)': \(reason)")
        }
        guard !text.isEmpty else {
            throw ConfigurationError.invalid(fileVariable, value: path, source: source, accepts: "a file holding \(accepts)", detail: "the file is empty")
        }
        let value: T?
        do { value = try parse(text) } catch let error as ConfigurationError { throw error } catch {
            throw ConfigurationError.invalid(fileVariable, value: path, source: source, accepts: "a file holding \(accepts)", detail: "\(error)")
        }
        guard let value else {
            throw ConfigurationError.invalid(fileVariable, value: path, source: source, accepts: "a file holding \(accepts)")
        }
        record(variable, redact(text), source, secret: true)
        record(fileVariable, path, source)
        return value
    }
}
