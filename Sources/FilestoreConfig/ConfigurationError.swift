/// A setting that stops the process before it starts: a value that does not parse, a file that cannot be read,
/// or a required setting left out. Its message names the variable and what it accepts; the CLI prints it on
/// stderr and exits with ArgumentParser's validation-failure code (64).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What is wrong.
    public enum Kind: String, Sendable, Hashable {
        /// The value does not parse or is out of range.
        case invalidValue
        /// A file the setting names cannot be read.
        case unreadableFile
        /// A setting this command requires is not set.
        case missing
    }

    public var kind: Kind
    /// The environment variable at fault (also when the value came from its command-line flag).
    public var variable: String
    /// One line for the operator.
    public var message: String

    public init(_ kind: Kind, variable: String, message: String) {
        self.kind = kind
        self.variable = variable
        self.message = message
    }

    public var description: String { message }

    /// `invalid FILESTORE_HTTP_PORT='abc': expected a port number 1-65535`; a secret's value is not repeated.
    static func invalid(_ variable: String, value: String?, source: ConfigurationSource, accepts: String, detail: String? = nil) -> ConfigurationError {
        var text = "invalid \(variable)"
        if let value { text += "='\(value)'" }
        if source == .flag { text += " (given on the command line)" }
        text += ": expected \(accepts)"
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        return ConfigurationError(.invalidValue, variable: variable, message: text)
    }
}
