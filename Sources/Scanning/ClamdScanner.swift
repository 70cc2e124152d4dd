import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// clamd over its INSTREAM protocol on a Unix socket: `zINSTREAM\0`, then chunks (4-byte big-endian length,
/// bytes), then a zero length; clamd answers `stream: OK`, `stream: <name> FOUND` or `… ERROR`. For
/// deployments that run clamd as a shared service. Blocking socket calls run on a `NIOThreadPool`.
public struct ClamdScanner: VirusScanner {
    public let socketPath: String
    public let limits: ScanLimits
    /// Bytes per INSTREAM chunk. Default: 64 KiB (below clamd's StreamMaxLength).
    public var chunkSize = 64 * 1024
    let pool: NIOThreadPool

    public init(socketPath: String, limits: ScanLimits = ScanLimits(), pool: NIOThreadPool = .singleton) {
        self.socketPath = socketPath
        self.limits = limits
        self.pool = pool
    }

    public func scan(path: String) async throws -> ScanVerdict {
        let socketPath = self.socketPath, limits = self.limits, chunkSize = self.chunkSize
        return try await pool.runIfActive {
            try limits.withFile(path) { file in
                let sock = try Self.connect(socketPath)
                defer { close(sock) }
                try Self.send(sock, Array("zINSTREAM\0".utf8))
                var buffer = [UInt8](repeating: 0, count: chunkSize)
                do {
                    while true {
                        let n = buffer.withUnsafeMutableBytes { Glibc.read(file, $0.baseAddress!, chunkSize) }
                        if n < 0 { throw ScanError("cannot read \(path): \(String(cString: strerror(errno)))") }
                        let length = UInt32(n).bigEndian
                        try Self.send(sock, withUnsafeBytes(of: length) { Array($0) })
                        if n == 0 { break }
                        try Self.send(sock, Array(buffer.prefix(n)))
                    }
                } catch let error as ScanError {
                    // clamd stops reading a stream over its StreamMaxLength and says so before it hangs up.
                    guard let reply = try? Self.receive(sock), let verdict = try? Self.parse(reply) else { throw error }
                    return verdict
                }
                let reply = try Self.receive(sock)
                return try Self.parse(reply)
            }
        }
    }

    /// Interprets clamd's reply line.
    public static func parse(_ reply: String) throws -> ScanVerdict {
        let text = reply.trimmingCharacters(in: CharacterSet(charactersIn: "\0\n "))
        // Over clamd's StreamMaxLength: a limit, never "clean" (the file follows the limit policy).
        if text.hasPrefix("INSTREAM size limit exceeded") { return .infected(signature: "Heuristics.Limits.Exceeded.StreamMaxLength") }
        guard let colon = text.firstIndex(of: ":") else { throw ScanError("unexpected clamd reply: \(text.prefix(200))") }
        let result = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if result == "OK" { return .clean }
        if result.hasSuffix(" FOUND") { return .infected(signature: String(result.dropLast(" FOUND".count))) }
        throw ScanError("clamd: \(result.prefix(200))")
    }

    static func connect(_ path: String) throws -> Int32 {
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard sock >= 0 else { throw ScanError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { close(sock); throw ScanError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0 else {
            let message = String(cString: strerror(errno))
            close(sock)
            throw ScanError("cannot reach clamd at \(path): \(message)")
        }
        return sock
    }

    static func send(_ sock: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(sock, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; throw ScanError("clamd connection lost: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    static func receive(_ sock: Int32) throws -> String {
        var reply = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(sock, $0.baseAddress!, 4096, 0) }
            if n < 0 { if errno == EINTR { continue }; throw ScanError("clamd connection lost: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            reply += buffer.prefix(n)
            if reply.contains(0) { break }
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
