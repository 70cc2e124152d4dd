import API
import Domain
import FileCore
import AsyncHTTPClient
import FilestoreConfig
import Foundation
import JobKit
import Logging
import PostgresNIO
import Readiness
import ServiceLifecycle
import Storage

/// The readiness parts of the composition root: the configuration of the checks from the process's one
/// configuration, the job's handler and gauges on maintenance workers, and the process registration of every
/// long-running command.
enum ReadinessParts {
    /// The checks' configuration; `repository` overrides `FILESTORE_READINESS_REPO`.
    static func configuration(_ c: FilestoreConfiguration, repository: String? = nil) -> ReadinessConfiguration {
        var root = URL(fileURLWithPath: repository ?? c.readiness.repository).standardizedFileURL
        // Not a checkout (no docs/FAILURE_MODES.md) and not named on the command line: the repository the binary
        // was built in, if it is one (`.build/debug/filestore` inside a checkout).
        if repository == nil, !isCheckout(root), let built = binaryRepository() { root = built }
        var r = ReadinessConfiguration(repository: root, requiredSchemaVersion: FilestoreSchema.requiredVersion)
        switch c.scanner.backend {
        case .libclamav: r.scanner = .libclamav(directory: c.scanner.signatureDirectory)
        case .clamd: r.scanner = .clamd(socket: c.scanner.clamdSocket)
        }
        r.signingKeys = [
            .init(name: "FILESTORE_JWT_KEYS", count: c.keys.jwt.count, file: c.keys.jwtFile),
            .init(name: "FILESTORE_URL_KEYS", count: c.keys.url.count, file: c.keys.urlFile),
        ].filter { $0.count > 0 }
        r.operationsTenant = c.readiness.tenant
        r.knownMetrics = Set(MetricCatalog.help.keys)
        if !c.keys.jwt.isEmpty {
            let keys = c.keys.jwt.map(\.pair)
            r.probeToken = { tenant in
                try await TokenKeys(keys).issue(TokenPayload(subject: "readiness-probe", tenant: try TenantID(tenant), scopes: [.filesRead], ttl: 60))
            }
        }
        return r
    }

    static func isCheckout(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent("docs/FAILURE_MODES.md").path)
    }

    /// The nearest ancestor of the running binary that is a checkout, if any.
    static func binaryRepository() -> URL? {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            if isCheckout(dir) { return dir.standardizedFileURL }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    /// The environment of the checks over running pools.
    static func environment(_ c: FilestoreConfiguration, postgres: PostgresClient, system: SystemDatabase?, repository: String? = nil,
                            blobs: any BlobStore) -> ReadinessEnvironment {
        ReadinessEnvironment(postgres: postgres, system: system, http: HTTPClient.shared, blobs: blobs,
                             configuration: configuration(c, repository: repository), logger: makeLogger("filestore.readiness"))
    }

    /// This process's registration in `readiness.processes`, with the address of its ops endpoints.
    static func registration(_ c: FilestoreConfiguration, command: String, host: String?, port: Int?, tls: Bool,
                             postgres: PostgresClient) -> ProcessRegistration {
        ProcessRegistration(registry: ProcessRegistry(postgres: postgres, logger: makeLogger("filestore.registry")),
                            entry: ProcessRegistration.entry(command: command, host: host, port: port, tls: tls, version: FilestoreBuild.version,
                                                             advertise: c.readiness.advertiseHost))
    }
}
