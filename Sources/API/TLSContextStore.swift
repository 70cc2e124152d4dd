import Crypto
import Foundation
import Logging
import NIOSSL
import Synchronization

/// The files a TLS listener is served from: PEM certificate chain and private key, and (for mutual TLS) the PEM
/// bundle of the certificate authorities whose client certificates are accepted.
public struct TLSFiles: Sendable, Hashable {
    public var certificate: String
    public var key: String
    /// With a client CA the listener asks every client for a certificate and verifies the ones presented;
    /// routes behind ``ClientCertificateMiddleware`` then require one. Default: none.
    public var clientCA: String?

    public init(certificate: String, key: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
    }
}

/// The TLS context a listener hands each new connection, rebuilt from its files when they change: connections
/// already open keep the context they started with, new ones get the new certificate — no restart. A file that
/// fails to load (half-written, wrong key for the certificate) leaves the previous context in use.
public final class TLSContextStore: Sendable {
    public let files: TLSFiles
    private struct State { var context: NIOSSLContext; var fingerprint: [UInt8] }
    private let state: Mutex<State>

    /// Loads the files now; a failure here is a configuration error (the process does not start).
    public init(files: TLSFiles) throws {
        self.files = files
        let (context, fingerprint) = try Self.load(files)
        self.state = Mutex(State(context: context, fingerprint: fingerprint))
    }

    /// The context for a connection starting now.
    public var context: NIOSSLContext { state.withLock { $0.context } }

    /// What ``reloadIfChanged()`` did.
    public enum ReloadOutcome: Sendable, Equatable {
        case unchanged
        case reloaded
        /// The files changed but do not make a context (the previous one stays).
        case failed(String)
    }

    /// Rebuilds the context if any file's content changed since the last load.
    public func reloadIfChanged() -> ReloadOutcome {
        let current = state.withLock { $0.fingerprint }
        guard let fingerprint = try? Self.fingerprint(files), fingerprint != current else { return .unchanged }
        do {
            let (context, fingerprint) = try Self.load(files)
            state.withLock { $0 = State(context: context, fingerprint: fingerprint) }
            return .reloaded
        } catch {
            return .failed("\(error)")
        }
    }

    /// SHA-256 over the files' contents (renames, symlink swaps and in-place writes all change it).
    static func fingerprint(_ files: TLSFiles) throws -> [UInt8] {
        var hasher = SHA256()
        for path in [files.certificate, files.key, files.clientCA].compactMap({ $0 }) {
            hasher.update(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        return Array(hasher.finalize())
    }

    static func load(_ files: TLSFiles) throws -> (NIOSSLContext, [UInt8]) {
        let fingerprint = try fingerprint(files)
        let chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        guard !chain.isEmpty else { throw TLSFileError("\(files.certificate) holds no PEM certificate") }
        let key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let ca = files.clientCA {
            let roots = try NIOSSLCertificate.fromPEMFile(ca)
            guard !roots.isEmpty else { throw TLSFileError("\(ca) holds no PEM certificate") }
            configuration.trustRoots = .certificates(roots)
            // Ask for a client certificate, verify any presented; the routes that need one check it is there.
            configuration.certificateVerification = .optionalVerification
        }
        return (try NIOSSLContext(configuration: configuration), fingerprint)
    }
}

struct TLSFileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
