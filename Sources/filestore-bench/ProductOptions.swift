import ArgumentParser
import Foundation

/// Where the product binary is, for the benchmarks that start `filestore serve`, `filestore work` or
/// `filestore migrate`.
struct ProductOptions: ParsableArguments {
    @Option(name: .customLong("filestore"),
            help: "The filestore binary (default $FILESTORE_BIN, else `filestore` beside this executable).")
    var path: String?

    /// The binary to start; fails early with a clear message when it is missing.
    func executable() throws -> URL {
        let url = path.map { URL(fileURLWithPath: $0) }
            ?? ProcessInfo.processInfo.environment["FILESTORE_BIN"].map { URL(fileURLWithPath: $0) }
            ?? BenchSupport.executable.deletingLastPathComponent().appendingPathComponent("filestore")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw ValidationError("no filestore binary at \(url.path): build it (swift build -c release) or pass --filestore PATH")
        }
        return url
    }
}
