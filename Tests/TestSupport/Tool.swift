import Foundation

/// Runs a command-line tool to the end (blocking) and returns its exit status and standard output; standard
/// error is discarded. Output is read before waiting, so a chatty tool cannot fill the pipe and hang.
public func runTool(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
