import Configuration

/// Every setting of a filestore process, read once at start — command-line flags over the environment over the
/// documented defaults — and validated: a value that does not parse stops the process with a
/// ``ConfigurationError`` before it serves. `docs/CONFIGURATION.md` lists every variable.
public struct FilestoreConfiguration: Sendable {
    public var database: Database
    public var http: HTTP
    public var blobs: Blobs
    public var keys: Keys
    public var worker: Worker
    public var pipeline: Pipeline
    public var scanner: Scanner
    public var logging: Logging
    /// TLS and mutual TLS of the listener (`FilestoreConfiguration+TLS.swift`).
    public var tls: TLS
    /// The scheduler's settings (`FilestoreConfiguration+Scheduler.swift`).
    public var scheduler: Scheduler = Scheduler()
    /// The webhook relay's and the inbox's settings (`FilestoreConfiguration+Webhooks.swift`).
    public var webhooks: Webhooks
    /// Compliance keys and retention built-ins (`FilestoreConfiguration+Compliance.swift`).
    public var compliance: Compliance = Compliance()
    /// The readiness revalidation (`FilestoreConfiguration+Readiness.swift`).
    public var readiness: Readiness = Readiness()
    /// Every setting with its effective value (secrets redacted) and where it came from, in a stable order.
    public var entries: [ConfigurationEntry]

    /// Reads and validates every setting. `flags` are the command line's overrides, keyed by the variable they
    /// override (e.g. `--api-port 9000` as `["FILESTORE_HTTP_PORT": "9000"]`).
    public static func load(environment: any ConfigProvider, flags: [String: String] = [:]) throws -> FilestoreConfiguration {
        var reader = SettingsReader(environment: environment, flags: flags)
        let database = try Database(reading: &reader)
        let http = try HTTP(reading: &reader)
        let blobs = try Blobs(reading: &reader)
        let keys = try Keys(reading: &reader)
        let worker = try Worker(reading: &reader)
        let pipeline = try Pipeline(reading: &reader)
        let scanner = try Scanner(reading: &reader)
        let logging = try Logging(reading: &reader)
        let tls = try TLS(reading: &reader)
        let scheduler = try Scheduler(reading: &reader)
        let webhooks = try Webhooks(reading: &reader)
        let compliance = try Compliance(reading: &reader)
        let readiness = try Readiness(reading: &reader)
        var c = FilestoreConfiguration(database: database, http: http, blobs: blobs, keys: keys, worker: worker, pipeline: pipeline,
                                       scanner: scanner, logging: logging, tls: tls, webhooks: webhooks, entries: reader.entries)
        c.scheduler = scheduler
        c.compliance = compliance
        c.readiness = readiness
        return c
    }

    /// Reads the process environment (secrets marked as such for swift-configuration's own logging).
    public static func fromProcessEnvironment(flags: [String: String] = [:]) throws -> FilestoreConfiguration {
        try load(environment: EnvironmentVariablesProvider(secretsSpecifier: .specific(secretVariables)), flags: flags)
    }

    /// Only the logging settings, from the process environment (for commands that take no configuration).
    public static func loggingFromProcessEnvironment() throws -> Logging {
        var reader = SettingsReader(environment: EnvironmentVariablesProvider(secretsSpecifier: .specific(secretVariables)), flags: [:])
        return try Logging(reading: &reader)
    }

    /// Variables whose values are secret.
    public static let secretVariables: Set<String> = ["DATABASE_URL", "MIGRATE_DATABASE_URL", "FILESTORE_JWT_KEYS", "FILESTORE_URL_KEYS",
                                                       "FILESTORE_INBOX_SECRETS", "FILESTORE_COMPLIANCE_KEYS"]

    /// An in-memory provider of `variables` keyed by their names — the command line's flags, and tests.
    public static func provider(_ variables: [String: String], name: String? = nil) -> InMemoryProvider {
        InMemoryProvider(name: name, values: Dictionary(uniqueKeysWithValues: variables.map { name, value in
            (AbsoluteConfigKey([name]), ConfigValue(.string(value), isSecret: secretVariables.contains(name)))
        }))
    }
}
