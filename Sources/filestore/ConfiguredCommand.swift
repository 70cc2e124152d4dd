import ArgumentParser
import FilestoreConfig

/// A command that runs with the process's one configuration: `Filestore.main` reads it once — this command's
/// flags over the environment over the defaults — before the command runs, and a bad value stops the process
/// there, with a message naming the variable (exit 64).
protocol ConfiguredCommand: AsyncParsableCommand {
    /// The command line's overrides, keyed by the variable each one overrides.
    var flags: [String: String] { get }
    func run(configuration: FilestoreConfiguration) async throws
}

extension ConfiguredCommand {
    var flags: [String: String] { [:] }

    /// Reached only when ArgumentParser runs the command itself rather than `Filestore.main`.
    mutating func run() async throws {
        try await run(configuration: FilestoreConfiguration.fromProcessEnvironment(flags: flags))
    }
}

extension Dictionary where Key == String, Value == String {
    /// The flags of `self` and `other` together (`other` wins on the same variable).
    func adding(_ other: [String: String]) -> [String: String] { merging(other) { $1 } }
}
