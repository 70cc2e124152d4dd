/// Where a setting's effective value came from.
public enum ConfigurationSource: String, Sendable, Hashable, Codable {
    /// The documented default.
    case `default`
    /// The process environment.
    case env
    /// A command-line flag (which overrides the environment).
    case flag
}

/// One setting as `filestore config` shows it: secrets are already redacted in `value`.
public struct ConfigurationEntry: Sendable, Hashable, Codable {
    /// The concern it belongs to: `database`, `http`, `blobs`, `keys`, `worker`, `pipeline`, `scanner`, `logging`.
    public var section: String
    /// The environment variable that sets it.
    public var variable: String
    /// The effective value as text (redacted when secret); `nil` when unset and without a default.
    public var value: String?
    public var source: ConfigurationSource
    /// Whether the value is a secret (shown redacted).
    public var secret: Bool

    public init(section: String, variable: String, value: String?, source: ConfigurationSource, secret: Bool) {
        self.section = section
        self.variable = variable
        self.value = value
        self.source = source
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey { case section, variable, value, source, secret }

    /// Encodes `value` as `null` when unset, so every entry has the same keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(section, forKey: .section)
        try c.encode(variable, forKey: .variable)
        try c.encode(value, forKey: .value)
        try c.encode(source, forKey: .source)
        try c.encode(secret, forKey: .secret)
    }
}
