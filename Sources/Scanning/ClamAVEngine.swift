import CClamAV
import Foundation
import NIOPosix
import Synchronization

/// libclamav in-process. The engine is loaded and compiled once from a signature directory and shared by
/// every concurrent scan; ``reload()`` compiles a fresh engine and swaps it in, while scans already running
/// keep the engine they started with (it is freed when the last of them ends). All libclamav calls run on a
/// `NIOThreadPool`, never on the Swift concurrency pool.
public final class ClamAVEngine: Sendable {
    /// One compiled engine; freed when no scan holds it any more.
    final class Compiled: @unchecked Sendable {
        let pointer: OpaquePointer
        let signatures: UInt32
        /// The folder as it was just before it was compiled.
        let listing: SignatureListing
        init(pointer: OpaquePointer, signatures: UInt32, listing: SignatureListing) {
            self.pointer = pointer
            self.signatures = signatures
            self.listing = listing
        }
        deinit { cl_engine_free(pointer) }
    }

    public let signatureDirectory: URL
    public let limits: ScanLimits
    let pool: NIOThreadPool
    private let current: Mutex<Compiled>

    private init(directory: URL, limits: ScanLimits, pool: NIOThreadPool, compiled: Compiled) {
        self.signatureDirectory = directory
        self.limits = limits
        self.pool = pool
        self.current = Mutex(compiled)
    }

    /// Loads and compiles the signatures of `directory` (for example the one freshclam keeps).
    public static func load(directory: URL, limits: ScanLimits = ScanLimits(), pool: NIOThreadPool = .singleton) async throws -> ClamAVEngine {
        let compiled = try await pool.runIfActive { try compile(directory: directory, limits: limits) }
        return ClamAVEngine(directory: directory, limits: limits, pool: pool, compiled: compiled)
    }

    /// How many signatures the current engine holds.
    public var signatureCount: UInt32 { current.withLock { $0.signatures } }

    /// The signature folder's listing when the engine in service was compiled (``SignatureWatcher``).
    var compiledListing: SignatureListing { current.withLock { $0.listing } }

    /// Compiles the directory again and swaps the new engine in; scans in flight are not disturbed.
    public func reload() async throws {
        let dir = signatureDirectory, limits = self.limits
        let fresh = try await pool.runIfActive { try Self.compile(directory: dir, limits: limits) }
        current.withLock { $0 = fresh }
    }

    /// Scans the file at `path`.
    public func scan(path: String) async throws -> ScanVerdict {
        let engine = current.withLock { $0 }
        let limits = self.limits
        return try await pool.runIfActive {
            try limits.withFile(path) { fd in
                var virname: UnsafePointer<CChar>?
                var scanned: UInt = 0
                var options = cl_scan_options()
                options.general = 0                                        // the first match is enough
                options.parse = ~UInt32(0)                                 // every parser
                options.heuristic = UInt32(CL_SCAN_HEURISTIC_EXCEEDS_MAX)  // a file over a limit is not "clean"
                let result = withExtendedLifetime(engine) {
                    cl_scandesc(fd, path, &virname, &scanned, engine.pointer, &options)
                }
                switch result {
                case CL_CLEAN: return .clean
                // libclamav leaves the name unset for some heuristics (limits among them): still not clean.
                case CL_VIRUS: return .infected(signature: virname.map { String(cString: $0) } ?? "Heuristics.Limits.Exceeded.Unnamed")
                default: throw ScanError(String(cString: cl_strerror(result)))
                }
            }
        }
    }

    static let initialized: Bool = { cl_init(UInt32(CL_INIT_DEFAULT)) == CL_SUCCESS }()

    static func compile(directory: URL, limits: ScanLimits) throws -> Compiled {
        guard initialized else { throw ScanError("cl_init failed") }
        let listing = SignatureListing(directory)
        guard let engine = cl_engine_new() else { throw ScanError("cl_engine_new failed") }
        var signatures: UInt32 = 0
        // CL_DB_STDOPT, spelled out (Swift does not import macros built from other macros).
        var status = cl_load(directory.path, engine, &signatures, UInt32(CL_DB_PHISHING | CL_DB_PHISHING_URLS | CL_DB_BYTECODE))
        guard status == CL_SUCCESS else {
            cl_engine_free(engine)
            throw ScanError("cannot load signatures from \(directory.path): \(String(cString: cl_strerror(status)))")
        }
        guard signatures > 0 else {
            cl_engine_free(engine)
            throw ScanError("no signatures in \(directory.path)")
        }
        for (field, value) in [(CL_ENGINE_MAX_FILESIZE, limits.maxFileSize), (CL_ENGINE_MAX_SCANSIZE, limits.maxScanSize),
                               (CL_ENGINE_MAX_RECURSION, Int64(limits.maxRecursion)), (CL_ENGINE_MAX_FILES, Int64(limits.maxFiles)),
                               (CL_ENGINE_MAX_SCANTIME, Int64(limits.maxScanTimeMS))] {
            status = cl_engine_set_num(engine, field, value)
            guard status == CL_SUCCESS else {
                cl_engine_free(engine)
                throw ScanError("cannot set a scan limit: \(String(cString: cl_strerror(status)))")
            }
        }
        status = cl_engine_compile(engine)
        guard status == CL_SUCCESS else {
            cl_engine_free(engine)
            throw ScanError("cannot compile the engine: \(String(cString: cl_strerror(status)))")
        }
        return Compiled(pointer: engine, signatures: signatures, listing: listing)
    }
}
