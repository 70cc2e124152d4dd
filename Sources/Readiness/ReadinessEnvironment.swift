import AsyncHTTPClient
import Foundation
import JobKit
import Logging
import PostgresNIO
import Storage

/// What the checks run against: the live database (as the service role; the system role for the cross-tenant
/// relay figures), the HTTP client of the probes, and the configuration.
public struct ReadinessEnvironment: Sendable {
    public var postgres: PostgresClient
    /// The system role's path (`filestore_system`), for figures across tenants (relay lag); without it E1 says so.
    public var system: SystemDatabase?
    public var http: HTTPClient
    /// The process's blob store (the quarantine probe goes through the same download guard as the API; it reads no bytes).
    public var blobs: any BlobStore
    public var configuration: ReadinessConfiguration
    public var logger: Logger

    public init(postgres: PostgresClient, system: SystemDatabase?, http: HTTPClient, blobs: any BlobStore, configuration: ReadinessConfiguration, logger: Logger) {
        self.postgres = postgres
        self.system = system
        self.http = http
        self.blobs = blobs
        self.configuration = configuration
        self.logger = logger
    }

    var catalog: ReadinessCatalog { ReadinessCatalog(postgres: postgres, logger: logger) }
    var repository: URL { configuration.repository }

    /// `path` inside the repository.
    func file(_ path: String) -> URL { repository.appendingPathComponent(path) }

    /// The text of `path` in the repository, or `nil` when it cannot be read.
    func text(_ path: String) -> String? { try? String(contentsOf: file(path), encoding: .utf8) }
}
