import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket on 127.0.0.1 with a port the kernel chose, standing for another process on the port.
final class OccupiedPort {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        guard bound == 0, listen(fd, 1) == 0 else { throw POSIXError(.EADDRINUSE) }
        var out = sockaddr_in()
        var length = size
        _ = withUnsafeMutablePointer(to: &out) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: out.sin_port))
    }

    private var isOpen = true

    /// Closes the socket now (the port becomes free).
    func release() {
        if isOpen { close(fd) }
        isOpen = false
    }

    deinit { release() }
}

/// A second process on a host whose port is taken exits non-zero, naming the port, the flag and the setting.
@Suite struct SecurityListenerTests {
    @Test func aSecondWorkerOnATakenOpsPortSaysWhichPortAndHowToChooseAnother() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let taken = try OccupiedPort()
            let r = try await FilestoreBinary.run(["work", "--queues", "default", "--http-port", "\(taken.port)"],
                                                  environment: FilestoreBinary.environment(env.config), timeout: .seconds(60))
            #expect(r.status != 0, "\(r.stderr)")
            #expect(r.stderr.contains("port \(taken.port)") && r.stderr.contains("--http-port") && r.stderr.contains("FILESTORE_OPS_PORT")
                    && r.stderr.contains("already in use"), "\(r.stderr)")
            #expect(!r.stderr.contains("errno: 98"), "\(r.stderr)")
        }
    }

    @Test func aSecondServeOnATakenPortSaysWhichPortAndHowToChooseAnother() async throws {
        try await TestDatabase.with { (env: TestEnv) async throws in
            let taken = try OccupiedPort()
            let blobs = FileManager.default.temporaryDirectory.appendingPathComponent("listener-\(UUID())")
            defer { try? FileManager.default.removeItem(at: blobs) }
            let r = try await FilestoreBinary.run(["serve", "--api-port", "\(taken.port)", "--blob-dir", blobs.path],
                                                  environment: FilestoreBinary.environment(env.config, [
                                                      "FILESTORE_JWT_KEYS": "k1=jwt-secret-0123456789abcdef0123456789",
                                                      "FILESTORE_URL_KEYS": "u1=url-secret-0123456789abcdef0123456789",
                                                  ]), timeout: .seconds(60))
            #expect(r.status != 0, "\(r.stderr)")
            #expect(r.stderr.contains("port \(taken.port)") && r.stderr.contains("--api-port") && r.stderr.contains("FILESTORE_HTTP_PORT"),
                    "\(r.stderr)")
        }
    }
}
