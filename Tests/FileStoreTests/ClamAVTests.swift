import Foundation
import Logging
import Scanning
import ServiceLifecycle
import TestSupport
import Testing

/// libclamav in-process, offline: the tests write their own signature databases.
@Suite struct ClamAVTests {
    /// The EICAR test string, split so that this source file is not itself a test virus.
    static let eicar = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

    static func signatureDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sigs-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // A body signature for the EICAR string (.ndb: name:target:offset:hex).
        let hex = Array("EICAR-STANDARD-ANTIVIRUS-TEST-FILE".utf8).map { String(format: "%02x", $0) }.joined()
        try "Filestore.Test.EICAR:0:*:\(hex)\n".write(to: dir.appendingPathComponent("filestore.ndb"), atomically: true, encoding: .utf8)
        // Hash signatures (.hdb: md5:size:name) for Debian's clamav-testfiles.
        var hdb = ""
        let testfiles = URL(fileURLWithPath: "/usr/share/clamav-testfiles")
        for name in ["clam.exe", "clam.zip"] {
            let url = testfiles.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url) else { continue }
            hdb += "\(md5(url)):\(data.count):Filestore.Test.\(name)\n"
        }
        try hdb.write(to: dir.appendingPathComponent("testfiles.hdb"), atomically: true, encoding: .utf8)
        return dir
    }

    static func md5(_ url: URL) -> String {
        String(((try? runTool("/usr/bin/md5sum", [url.path]))?.output ?? "").prefix(32))
    }

    static func file(_ bytes: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scan-\(UUID())")
        try bytes.write(to: url)
        return url
    }

    enum Backend: String, CaseIterable, Sendable { case libclamav, clamd }

    /// A running clamd over `signatures`, on a socket of its own; stopped when `body` returns.
    static func withClamd<T>(_ signatures: URL, extraConfig: String = "", _ body: (String) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clamd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let socket = dir.appendingPathComponent("clamd.sock").path
        try """
            LocalSocket \(socket)
            DatabaseDirectory \(signatures.path)
            Foreground yes
            LogFile \(dir.path)/clamd.log
            TemporaryDirectory \(dir.path)
            \(extraConfig)
            """.write(to: dir.appendingPathComponent("clamd.conf"), atomically: true, encoding: .utf8)
        let clamd = Process()
        clamd.executableURL = URL(fileURLWithPath: "/usr/sbin/clamd")
        clamd.arguments = ["-c", dir.appendingPathComponent("clamd.conf").path]
        clamd.standardOutput = FileHandle.nullDevice
        clamd.standardError = FileHandle.nullDevice
        try clamd.run()
        defer { clamd.terminate(); clamd.waitUntilExit() }
        try await eventually("clamd listening", timeout: .seconds(60)) { FileManager.default.fileExists(atPath: socket) }
        return try await body(socket)
    }

    /// Runs `body` with a scanner of `backend` over `signatures`.
    static func withScanner<T>(_ backend: Backend, _ signatures: URL, limits: ScanLimits = ScanLimits(),
                               _ body: (any VirusScanner) async throws -> T) async throws -> T {
        switch backend {
        case .libclamav: return try await body(try await ClamAVEngine.load(directory: signatures, limits: limits))
        case .clamd: return try await withClamd(signatures) { try await body(ClamdScanner(socketPath: $0, limits: limits)) }
        }
    }

    @Test(arguments: Backend.allCases)
    func detectsItsOwnSignaturesAndPassesCleanFiles(_ backend: Backend) async throws {
        let dir = try Self.signatureDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await Self.withScanner(backend, dir) { engine in
        let infected = try Self.file(Data(Self.eicar.utf8))
        let clean = try Self.file(Data("just some harmless text\n".utf8))
        let large = try Self.file(Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0) }) + Data(Self.eicar.utf8))
        defer { for f in [infected, clean, large] { try? FileManager.default.removeItem(at: f) } }
        // Names from unofficial databases come back with a suffix.
        #expect(try await engine.scan(path: infected.path) == .infected(signature: "Filestore.Test.EICAR.UNOFFICIAL"))
        #expect(try await engine.scan(path: clean.path) == .clean)
        // Past the first INSTREAM chunks too.
        #expect(try await engine.scan(path: large.path) == .infected(signature: "Filestore.Test.EICAR.UNOFFICIAL"))
        // Debian's test files, by hash.
        let clamExe = "/usr/share/clamav-testfiles/clam.exe"
        if FileManager.default.fileExists(atPath: clamExe) {
            #expect(try await engine.scan(path: clamExe) == .infected(signature: "Filestore.Test.clam.exe.UNOFFICIAL"))
        }
        await #expect(throws: ScanError.self) { try await engine.scan(path: "/nonexistent/file") }
        }
    }

    @Test(arguments: Backend.allCases)
    func aFileOverALimitIsNotCalledClean(_ backend: Backend) async throws {
        let dir = try Self.signatureDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await Self.withScanner(backend, dir, limits: ScanLimits(maxFileSize: 1024, maxScanSize: 1024)) { engine in
            let big = try Self.file(Data(repeating: 65, count: 4096))
            defer { try? FileManager.default.removeItem(at: big) }
            let verdict = try await engine.scan(path: big.path)
            #expect(verdict.isLimitExceeded, "\(verdict)")
        }
    }

    @Test func clamdRepliesAreParsedAndAnAbsentClamdIsAnError() async throws {
        #expect(try ClamdScanner.parse("stream: OK\0") == .clean)
        #expect(try ClamdScanner.parse("stream: Win.Test.EICAR_HDB-1 FOUND\0") == .infected(signature: "Win.Test.EICAR_HDB-1"))
        #expect(try ClamdScanner.parse("INSTREAM size limit exceeded. ERROR\0") == .infected(signature: "Heuristics.Limits.Exceeded.StreamMaxLength"))
        #expect(throws: ScanError.self) { try ClamdScanner.parse("stream: Can't allocate memory ERROR\0") }
        let missing = ClamdScanner(socketPath: "/nonexistent/clamd.sock")
        let file = try Self.file(Data("x".utf8))
        defer { try? FileManager.default.removeItem(at: file) }
        await #expect(throws: ScanError.self) { try await missing.scan(path: file.path) }
    }

    @Test func reloadSwapsTheEngineWithoutDisturbingScansInFlight() async throws {
        let dir = try Self.signatureDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let engine = try await ClamAVEngine.load(directory: dir)
        let sample = try Self.file(Data("FILESTORE-NEW-SIGNATURE-SAMPLE".utf8))
        defer { try? FileManager.default.removeItem(at: sample) }
        #expect(try await engine.scan(path: sample.path) == .clean)
        let hex = Array("FILESTORE-NEW-SIGNATURE".utf8).map { String(format: "%02x", $0) }.joined()
        try "Filestore.Test.New:0:*:\(hex)\n".write(to: dir.appendingPathComponent("new.ndb"), atomically: true, encoding: .utf8)
        // Scans keep running while the engine is recompiled and swapped.
        try await withThrowingTaskGroup(of: ScanVerdict.self) { group in
            for _ in 0..<20 { group.addTask { try await engine.scan(path: sample.path) } }
            group.addTask { try await engine.reload(); return .clean }
            for try await verdict in group { #expect(verdict == .clean || verdict == .infected(signature: "Filestore.Test.New.UNOFFICIAL")) }
        }
        #expect(try await engine.scan(path: sample.path) == .infected(signature: "Filestore.Test.New.UNOFFICIAL"))
        // An empty or broken signature directory is a clear error, not an engine that finds nothing.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("nosigs-\(UUID())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        await #expect(throws: ScanError.self) { try await ClamAVEngine.load(directory: empty) }
    }

    @Test func theWatcherReloadsChangedSignaturesAndKeepsTheEngineWhenTheyBreak() async throws {
        let dir = try Self.signatureDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let engine = try await ClamAVEngine.load(directory: dir)
        let sample = try Self.file(Data("FILESTORE-WATCHED-SIGNATURE-SAMPLE".utf8))
        let eicar = try Self.file(Data(Self.eicar.utf8))
        defer { try? FileManager.default.removeItem(at: sample); try? FileManager.default.removeItem(at: eicar) }
        let before = engine.signatureCount
        let watcher = SignatureWatcher(engine: engine, interval: .milliseconds(50), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await watcher.run() }
            // A new signature file (as freshclam would add) is picked up without a restart.
            let hex = Array("FILESTORE-WATCHED-SIGNATURE".utf8).map { String(format: "%02x", $0) }.joined()
            try "Filestore.Test.Watched:0:*:\(hex)\n".write(to: dir.appendingPathComponent("watched.ndb"), atomically: true, encoding: .utf8)
            try await eventually("reloaded", timeout: .seconds(20)) {
                try await engine.scan(path: sample.path) == .infected(signature: "Filestore.Test.Watched.UNOFFICIAL")
            }
            #expect(engine.signatureCount == before + 1)
            // A broken file: the reload fails and the engine in service stays (it still finds both).
            try "this is not a signature\n".write(to: dir.appendingPathComponent("broken.ndb"), atomically: true, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await engine.scan(path: sample.path) == .infected(signature: "Filestore.Test.Watched.UNOFFICIAL"))
            #expect(try await engine.scan(path: eicar.path) == .infected(signature: "Filestore.Test.EICAR.UNOFFICIAL"))
            // Fixed again: the next change is compiled.
            try FileManager.default.removeItem(at: dir.appendingPathComponent("broken.ndb"))
            try FileManager.default.removeItem(at: dir.appendingPathComponent("watched.ndb"))
            try await eventually("reloaded without the watched signature", timeout: .seconds(20)) {
                try await engine.scan(path: sample.path) == .clean
            }
            #expect(engine.signatureCount == before)
            group.cancelAll()
        }
    }

    @Test func scanLimitsParseFromConfigurationWithClearErrors() throws {
        let limits = try ScanLimits.parse("file=20MiB, scan=1GiB,recursion=4,files=500,time=1500ms")
        #expect(limits == ScanLimits(maxFileSize: 20 << 20, maxScanSize: 1 << 30, maxRecursion: 4, maxFiles: 500, maxScanTimeMS: 1500))
        #expect(try ScanLimits.parse("time=30") .maxScanTimeMS == 30_000)
        #expect(try ScanLimits.parse("file=2048").maxFileSize == 2048)
        #expect(try ScanLimits.parse("") == ScanLimits())
        for bad in ["file", "file=-1", "file=10TB", "size=1MiB", "time=fast", "file=500MiB", "recursion=0"] {
            #expect(throws: ScanLimits.ParseError.self, "\(bad)") { try ScanLimits.parse(bad) }
        }
    }

    @Test func aStreamOverClamdsMaximumIsALimitNotAFailure() async throws {
        let dir = try Self.signatureDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let big = try Self.file(Data(repeating: 65, count: 3 << 20))
        defer { try? FileManager.default.removeItem(at: big) }
        try await Self.withClamd(dir, extraConfig: "StreamMaxLength 1M") { socket in
            let verdict = try await ClamdScanner(socketPath: socket).scan(path: big.path)
            #expect(verdict == .infected(signature: "Heuristics.Limits.Exceeded.StreamMaxLength"))
            #expect(verdict.isLimitExceeded)
        }
    }

    @Test func theWatcherStopsAtOnceOnGracefulShutdown() async throws {
        let dir = try Self.signatureDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let engine = try await ClamAVEngine.load(directory: dir)
        // An hour between looks: the watcher must not make a stopping process wait for it.
        let watcher = SignatureWatcher(engine: engine, interval: .seconds(3600), logger: Logger(label: "test"))
        var configuration = ServiceGroupConfiguration(services: [.init(service: watcher)], logger: Logger(label: "test"))
        // A watcher that ignores the shutdown is cancelled after 30 s: the test then fails rather than hangs.
        configuration.maximumGracefulShutdownDuration = .seconds(30)
        let group = ServiceGroup(configuration: configuration)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(ContinuousClock.now - start < .seconds(20)) // well under a second when the machine is idle
    }
}
