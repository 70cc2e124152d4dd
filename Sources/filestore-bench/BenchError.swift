/// A benchmark that cannot go on: printed as one line on stderr, exit code 1.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
