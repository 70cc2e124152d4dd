import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Where the database is, parsed from a `postgres://user:password@host:port/database` URL.
/// `?sslmode=disable` (the default for now) connects without TLS.
public struct DatabaseConfiguration: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// Most pooled connections per process. Default: 10 (`?pool_max=`).
    public var maximumConnections: Int

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
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard item.value == "disable" || item.value == "prefer" || item.value == "allow" else {
                    throw JobKitError(.configuration, "sslmode=\(item.value ?? "") is not supported yet; use sslmode=disable")
                }
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
    }

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
                                             database: database, tls: .disable)
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
                                         database: database, tls: .disable)
    }

    /// Opens one dedicated connection.
    public func connect(logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                             configuration: connectionConfiguration,
                                             id: Int.random(in: 1...Int(Int32.max)), logger: logger)
    }
}
