import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Where the database is, parsed from a `postgres://user:password@host:port/database` URL, with libpq's
/// `sslmode` (`disable`, the default; `allow`; `prefer`; `require`; `verify-ca`; `verify-full`) and
/// `sslrootcert` (a PEM file of the CAs to trust; the system's trust store without it).
public struct DatabaseConfiguration: Sendable, Hashable {
    /// libpq's TLS modes, as the URL names them.
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// Plain TCP (libpq tries plain first; the server accepts it or refuses the login).
        case allow
        /// TLS when the server offers it, without verifying it; plain otherwise.
        case prefer
        /// TLS always, without verifying the server's certificate (encryption only).
        case require
        /// TLS always; the server's chain must lead to a trusted CA (`sslrootcert`).
        case verifyCA = "verify-ca"
        /// TLS always; the chain must be trusted and name the host connected to.
        case verifyFull = "verify-full"
    }
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// Most pooled connections per process. Default: 10 (`?pool_max=`).
    public var maximumConnections: Int
    /// TLS to the server. Default: `disable` (`?sslmode=`).
    public var sslMode: SSLMode = .disable
    /// The CAs that sign the server's certificate, a PEM file (`?sslrootcert=`). Default: the system's trust store.
    public var sslRootCert: String?

    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String, maximumConnections: Int = 10) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.maximumConnections = maximumConnections
    }

    /// Parses a `postgres://` or `postgresql://` URL.
    public init(url: String) throws {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw JobKitError(.configuration, "a database URL must look like postgres://user:password@host:port/database, got '\(url)'")
        }
        guard let user = components.user, !user.isEmpty else {
            throw JobKitError(.configuration, "the database URL names no user: '\(url)'")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw JobKitError(.configuration, "the database URL names no database: '\(url)'") }
        var maximum = 10
        var mode = SSLMode.disable, rootCert: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let m = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw JobKitError(.configuration, "sslmode=\(item.value ?? "") is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                mode = m
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty, FileManager.default.isReadableFile(atPath: path) else {
                    throw JobKitError(.configuration, "sslrootcert=\(item.value ?? "") is not a readable file")
                }
                rootCert = path
            case "pool_max":
                guard let v = item.value.flatMap(Int.init), v > 0 else {
                    throw JobKitError(.configuration, "pool_max must be a positive integer")
                }
                maximum = v
            default: break
            }
        }
        self.init(host: components.host ?? "127.0.0.1", port: components.port ?? 5432, username: user.removingPercentEncoding ?? user,
                  password: components.password?.removingPercentEncoding, database: database.removingPercentEncoding ?? database,
                  maximumConnections: maximum)
        sslMode = mode
        sslRootCert = rootCert
        if rootCert != nil, ![.verifyCA, .verifyFull].contains(mode) {
            throw JobKitError(.configuration, "sslrootcert needs sslmode=verify-ca or sslmode=verify-full")
        }
        do { _ = try tlsContext() } catch {
            throw JobKitError(.configuration, "the database TLS settings do not load: \(error)")
        }
    }

    /// The TLS configuration of `sslMode`, `nil` for plain TCP.
    public var tlsConfiguration: TLSConfiguration? {
        var c = TLSConfiguration.makeClientConfiguration()
        c.minimumTLSVersion = .tlsv12
        switch sslMode {
        case .disable, .allow: return nil
        case .prefer, .require: c.certificateVerification = .none
        case .verifyCA: c.certificateVerification = .noHostnameVerification
        case .verifyFull: c.certificateVerification = .fullVerification
        }
        if let sslRootCert { c.trustRoots = .file(sslRootCert) }
        return c
    }

    /// An SSL context for dedicated connections (checked once when the URL is parsed).
    func tlsContext() throws -> NIOSSLContext? {
        try tlsConfiguration.map { try NIOSSLContext(configuration: $0) }
    }

    var clientTLS: PostgresClient.Configuration.TLS {
        guard let tls = tlsConfiguration else { return .disable }
        return sslMode == .prefer ? .prefer(tls) : .require(tls)
    }

    var connectionTLS: PostgresConnection.Configuration.TLS {
        // The context was built once when the URL was parsed; it builds again the same way.
        guard let context = try? tlsContext() else { return sslMode == .disable || sslMode == .allow ? .disable : .require(Self.failingContext) }
        return sslMode == .prefer ? .prefer(context) : .require(context)
    }

    /// A context that trusts nothing: if the TLS files vanished since start, connections fail rather than go plain.
    static let failingContext: NIOSSLContext = {
        var c = TLSConfiguration.makeClientConfiguration()
        c.trustRoots = .certificates([])
        return try! NIOSSLContext(configuration: c)
    }()

    /// The configuration as a URL (password included, percent-encoded), without query options.
    public var url: String {
        var c = URLComponents()
        c.scheme = "postgres"
        c.user = username
        c.password = password
        c.host = host
        c.port = port
        c.path = "/" + database
        return c.string ?? "postgres://\(username)@\(host):\(port)/\(database)"
    }

    /// The same server with another database name.
    public func with(database: String) -> DatabaseConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    /// A pool configuration for `PostgresClient`.
    public var clientConfiguration: PostgresClient.Configuration {
        var c = PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                             database: database, tls: clientTLS)
        c.options.maximumConnections = maximumConnections
        c.options.minimumConnections = 0
        return c
    }

    /// A pool configuration for producers' fetches: sessions commit asynchronously
    /// (`synchronous_commit = off`), so a fetch does not wait for a WAL flush. Enqueues and outcomes stay
    /// durable on the main pool.
    public var fetchClientConfiguration: PostgresClient.Configuration {
        var c = clientConfiguration
        c.options.additionalStartupParameters = [("synchronous_commit", "off")]
        c.options.maximumConnections = max(2, maximumConnections / 2)
        return c
    }

    /// A configuration for one dedicated connection (LISTEN).
    public var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: username, password: password,
                                         database: database, tls: connectionTLS)
    }

    /// Opens one dedicated connection.
    public func connect(logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                             configuration: connectionConfiguration,
                                             id: Int.random(in: 1...Int(Int32.max)), logger: logger)
    }
}
