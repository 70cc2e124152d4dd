import Foundation

/// Reads a pipe to its end on a thread of its own and hands the bytes to an async caller.
///
/// `readDataToEndOfFile()` blocks its thread until the writer closes the pipe. Called from a `Task` it holds one of
/// the cooperative pool's threads (two on a 2-core machine), so two such reads starve every other task of the
/// process — including an in-process server the child is talking to, which then never answers.
public enum PipeReader {
    /// The whole output of `pipe`, read on a dedicated thread.
    public static func readToEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            let handle = pipe.fileHandleForReading
            let thread = Thread { continuation.resume(returning: handle.readDataToEndOfFile()) }
            thread.name = "test-pipe-reader"
            thread.start()
        }
    }
}
