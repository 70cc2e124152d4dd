// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "filestore",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "filestore", targets: ["filestore"]),
        .executable(name: "filestore-bench", targets: ["filestore-bench"]),
        .library(name: "JobKit", targets: ["JobKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
        // Webhook delivery (the relay's HTTP client).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // The SRE console's server-rendered pages (escapes by default).
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // The queue library: PostgreSQL, workers, leases, leader election. No file-storage knowledge.
        .target(
            name: "JobKit",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The file domain: ids, the file life cycle, object keys, errors. Pure values, no I/O.
        .target(name: "Domain"),
        // Blob storage behind a small protocol; the local-directory store with atomic, durable writes, and the S3 store.
        .target(
            name: "Storage",
            dependencies: [
                "Domain",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The S3 backend's HTTP client.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "JobKit",
            ]
        ),
        // libclamav through a system-library target (pkg-config libclamav).
        .systemLibrary(name: "CClamAV", pkgConfig: "libclamav", providers: [.apt(["libclamav-dev"])]),
        // Virus scanning: libclamav in-process on a thread pool.
        .target(
            name: "Scanning",
            dependencies: [
                "CClamAV",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // libvips through a system-library target, and a small C shim for its variadic API and VIPS_INIT.
        .systemLibrary(name: "CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .target(name: "CVipsShim", dependencies: ["CVips"]),
        // libexif through a system-library target: checks that what the service writes carries no EXIF.
        .systemLibrary(name: "CExif", pkgConfig: "libexif", providers: [.apt(["libexif-dev"])]),
        // Image variants and metadata scrubbing with libvips, on a thread pool.
        .target(
            name: "Imaging",
            dependencies: [
                "CVipsShim", "CExif",
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The application layer: the use cases (files, uploads, tus, quotas, idempotency, quarantine overrides,
        // downloads) over Domain, the Storage repositories and JobKit. No HTTP types.
        .target(
            name: "FileCore",
            dependencies: [
                "Domain", "Storage", "JobKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Readiness as code: the checklist's rows evaluated against the live deployment and the repository,
        // recorded with findings and events (docs/READINESS.md). SQL is in Storage.
        .target(
            name: "Readiness",
            dependencies: [
                "Domain", "Storage", "FileCore", "JobKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Job handlers of the product (scan, optimize, relay, ...), registered on a JobKit registry.
        .target(
            name: "Jobs",
            dependencies: [
                "JobKit", "Domain", "Storage", "FileCore", "Scanning", "Imaging", "Scheduler", "Readiness",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // HTTP surface: routes, request/response types and the mapping of errors to statuses; the use cases are FileCore's.
        .target(
            name: "API",
            dependencies: [
                "JobKit", "Domain", "Storage", "FileCore",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ]
        ),
        // Periodic enqueuing (cron expressions), leader-elected among its replicas.
        .target(
            name: "Scheduler",
            dependencies: [
                "JobKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The product's configuration: every setting read once, at start, from the environment and the
        // command line (apple/swift-configuration) into one validated value.
        .target(
            name: "FilestoreConfig",
            dependencies: [
                "JobKit", "Jobs", "API", "Domain", "Scanning", "Storage",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The SRE console under /admin: sessions, CSRF, server-rendered pages, the admin JSON API, live updates.
        .target(
            name: "Console",
            dependencies: [
                "JobKit", "API", "Domain", "FileCore", "Scheduler", "Storage",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "filestore",
            dependencies: [
                "JobKit", "Jobs", "API", "FileCore", "Scheduler", "Domain", "Storage", "Scanning", "Imaging", "CClamAV", "FilestoreConfig", "Console",
                "Readiness", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        // The benchmarks (queue, upload, pipeline), apart from the product: they start the `filestore` binary
        // for serve/work/migrate/token, and their own JobKit worker processes for the queue benchmark.
        .executableTarget(
            name: "filestore-bench",
            dependencies: [
                "JobKit", "CClamAV", "Scheduler",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Shared by the test targets: a fresh migrated database per test on the real PostgreSQL.
        .target(
            name: "TestSupport",
            dependencies: [
                "JobKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "FileStoreTests",
            dependencies: [
                "Domain", "Storage", "FileCore", "JobKit", "TestSupport", "API", "Scanning", "Jobs", "Imaging",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // The configuration's parsing (in-memory providers) and the operator CLI as a process.
        .testTarget(
            name: "ConfigTests",
            dependencies: [
                "FilestoreConfig", "JobKit", "TestSupport",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "JobKitTests",
            dependencies: [
                "JobKit", "Jobs", "API", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // The SRE console: sessions, CSRF, read-only refusal, search and actions over the real PostgreSQL.
        .testTarget(
            name: "ConsoleTests",
            dependencies: [
                "Console", "JobKit", "API", "FileCore", "Domain", "Scheduler", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // Readiness: every automatic row on a healthy deployment, each broken and fixed again, the CLI's exit codes.
        .testTarget(
            name: "ReadinessTests",
            dependencies: [
                "Readiness", "Storage", "FileCore", "Domain", "JobKit", "TestSupport", "API",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        // The scheduler: cron expressions (pure, property-tested), the schedule store and its guarantees.
        .testTarget(
            name: "SchedulerTests",
            dependencies: [
                "Scheduler", "JobKit", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
