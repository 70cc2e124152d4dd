import Configuration

/// Reads settings by their environment variable's name through swift-configuration — the command line's flags
/// first, then the environment — parses each with the same code whether it came from a flag, the environment or
/// its default, and records what it read for `filestore config`. Used only while a configuration is loaded.
struct SettingsReader {
    private let flags: ConfigReader
    private let environment: ConfigReader
    /// The section entries are recorded under.
    var section = ""
    private(set) var entries: [ConfigurationEntry] = []

    init(environment: any ConfigProvider, flags: [String: String]) {
        self.environment = ConfigReader(provider: environment)
        self.flags = ConfigReader(provider: FilestoreConfiguration.provider(flags, name: "command line"))
    }

    /// The raw text of `variable` and where it came from; an empty value counts as unset.
    func raw(_ variable: String, secret: Bool = false) -> (text: String, source: ConfigurationSource)? {
        let key = ConfigKey([variable])
        if let text = flags.string(forKey: key, isSecret: secret), !text.isEmpty { return (text, .flag) }
        if let text = environment.string(forKey: key, isSecret: secret), !text.isEmpty { return (text, .env) }
        return nil
    }

    /// Records a setting for `filestore config` without parsing it (derived values, key files).
    mutating func record(_ variable: String, _ value: String?, _ source: ConfigurationSource, secret: Bool = false) {
        entries.append(ConfigurationEntry(section: section, variable: variable, value: value, source: source, secret: secret))
    }

    /// Shows `value` for the setting recorded last (an unset setting whose default is another's value).
    mutating func showLast(_ value: String) {
        if !entries.isEmpty { entries[entries.count - 1].value = value }
    }

    /// Reads and parses `variable`; `nil` when it is unset (and so is `defaultText`). `parse` returns `nil` or
    /// throws (its error becomes the message's detail) for a value it does not accept. A secret's value is
    /// neither recorded nor repeated in an error: `redact` says what to show instead.
    mutating func optional<T>(_ variable: String, default defaultText: String? = nil, accepts: String, secret: Bool = false,
                              redact: (String) -> String = { _ in "<redacted>" },
                              _ parse: (String) throws -> T?) throws -> T? {
        let found = raw(variable, secret: secret)
        guard let setting = found ?? defaultText.map({ (text: $0, source: ConfigurationSource.default) }) else {
            record(variable, nil, .default, secret: secret)
            return nil
        }
        let (text, source) = setting
        let shown = secret ? redact(text) : text
        let value: T?
        do { value = try parse(text) } catch let error as ConfigurationError { throw error } catch {
            throw ConfigurationError.invalid(variable, value: shown, source: source, accepts: accepts, detail: "\(error)")
        }
        guard let value else { throw ConfigurationError.invalid(variable, value: shown, source: source, accepts: accepts) }
        record(variable, shown, source, secret: secret)
        return value
    }

    /// Reads and parses `variable`, which has a default (parsed by the same `parse`).
    mutating func value<T>(_ variable: String, default defaultText: String, accepts: String, secret: Bool = false,
                           redact: (String) -> String = { _ in "<redacted>" }, _ parse: (String) throws -> T?) throws -> T {
        // The default always parses (a test checks every default); a failure here is a programming error.
        guard let value = try optional(variable, default: defaultText, accepts: accepts, secret: secret, redact: redact, parse) else {
            preconditionFailure("the default of \(variable) does not parse")
        }
        return value
    }
}
