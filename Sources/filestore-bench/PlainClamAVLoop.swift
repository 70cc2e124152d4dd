import CClamAV
import Foundation

/// The reference scan: one libclamav engine compiled once, then `cl_scandesc` on each file in turn, with the
/// worker's options (every parser, the limits heuristic).
enum PlainClamAVLoop {
    struct Result {
        var seconds: Double
        var signatures: UInt32
        func mbPerSecond(_ bytes: Int) -> Double { Double(bytes) / 1_000_000 / seconds }
    }

    static func run(signatures directory: URL, files: [URL]) throws -> Result {
        guard cl_init(UInt32(CL_INIT_DEFAULT)) == CL_SUCCESS, let engine = cl_engine_new() else { throw BenchError("libclamav failed to start") }
        defer { cl_engine_free(engine) }
        var count: UInt32 = 0
        guard cl_load(directory.path, engine, &count, UInt32(CL_DB_PHISHING | CL_DB_PHISHING_URLS | CL_DB_BYTECODE)) == CL_SUCCESS,
              cl_engine_compile(engine) == CL_SUCCESS else { throw BenchError("cannot load signatures from \(directory.path)") }
        var options = cl_scan_options()
        options.parse = ~UInt32(0)
        options.heuristic = UInt32(CL_SCAN_HEURISTIC_EXCEEDS_MAX)
        let start = ContinuousClock.now
        for file in files {
            let fd = open(file.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw BenchError("cannot open \(file.path)") }
            var virname: UnsafePointer<CChar>?
            var scanned: UInt = 0
            let status = cl_scandesc(fd, file.path, &virname, &scanned, engine, &options)
            close(fd)
            guard status == CL_CLEAN else { throw BenchError("reference scan of \(file.lastPathComponent): \(String(cString: cl_strerror(status)))") }
        }
        return Result(seconds: (ContinuousClock.now - start).seconds, signatures: count)
    }
}
