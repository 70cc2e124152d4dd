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

/// Runs a program to its end without blocking a concurrency thread: `input` (if any) is written to its standard
/// input, then closed; standard output and error are read while it runs (a chatty program cannot fill a pipe and
/// hang). `environment` adds to (or overrides) this process's environment.
public func runProcess(_ path: String, _ args: [String], input: String? = nil,
                       environment extra: [String: String] = [:]) async throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = args
    if !extra.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 } }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdin = input.map { _ in Pipe() }
    process.standardInput = stdin ?? FileHandle.nullDevice
    let done = AsyncStream<Void>.makeStream()
    process.terminationHandler = { _ in done.continuation.finish() }
    try process.run()
    if let stdin, let input {
        // On a thread of its own: a large input blocks until the program reads it.
        let handle = stdin.fileHandleForWriting
        Thread.detachNewThread {
            try? handle.write(contentsOf: Data(input.utf8))
            try? handle.close()
        }
    }
    async let o = PipeReader.readToEnd(out)
    async let e = PipeReader.readToEnd(err)
    let (od, ed) = await (o, e)
    for await _ in done.stream {}
    return (process.terminationStatus, String(decoding: od, as: UTF8.self), String(decoding: ed, as: UTF8.self))
}

/// A port no one listens on now (the kernel's choice).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let size = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    var out = sockaddr_in()
    var length = size
    _ = withUnsafeMutablePointer(to: &out) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: out.sin_port))
}
