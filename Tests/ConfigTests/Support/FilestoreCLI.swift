import Foundation
import JobKit
import TestSupport

/// The built `filestore` binary with exactly the environment given (plus PATH and HOME), so that no setting of
/// the test runner leaks in (``TestSupport/FilestoreBinary``).
enum FilestoreCLI {
    static func databaseURL(_ config: DatabaseConfiguration) -> String { FilestoreBinary.databaseURL(config) }

    /// Runs to completion (killed after `timeout`) and captures its output.
    static func run(_ arguments: [String], env: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> FilestoreBinary.Result {
        try await FilestoreBinary.run(arguments, environment: FilestoreBinary.isolatedEnvironment(env), timeout: timeout)
    }
}
