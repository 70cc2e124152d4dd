import Foundation
import JobKit
import Storage

extension FilestoreConfiguration {
    /// Where the database is.
    public struct Database: Sendable {
        /// The product's default: the cluster that `scripts/pg.sh` starts.
        public static let defaultURL = "postgres://filestore@127.0.0.1:5544/filestore"
        static let accepted = "a URL postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require|verify-ca|verify-full&sslrootcert=FILE&pool_max=N]"

        /// `DATABASE_URL` (flag `--database-url`) or the file `DATABASE_URL_FILE`: the service's connection — in production the `filestore_app`
        /// role, which cannot bypass row-level security. Default: ``defaultURL``.
        public var service: DatabaseConfiguration
        /// `MIGRATE_DATABASE_URL`: the schema owner's connection, used by `migrate` and `dev` to apply migrations.
        /// Default: the service's connection. `--database-url` sets both.
        public var migration: DatabaseConfiguration
        /// `SYSTEM_DATABASE_URL`: the system path's connection, used only by worker processes' leader tasks that
        /// must look across tenants (which tenants have expired uploads or keys); the `filestore_system` role may
        /// only execute the `filestore_system.*` functions (`docs/DATABASE_ROLES.md`). Never used by the API.
        /// Default: the service's URL with the user `filestore_system`, no password, a pool of 2.
        public var system: DatabaseConfiguration
        /// `FILESTORE_MIGRATIONS_DIR` (flag `--directory` of `migrate`): the folder of `NNNN_name.sql` files.
        /// Default: `nil` — `./migrations`, else the repository the binary was built in.
        public var migrationsDirectory: String?

        init(reading r: inout SettingsReader) throws {
            r.section = "database"
            // Each URL may come from a file instead (`DATABASE_URL_FILE`, …): a password never needs the environment.
            guard let service = try r.optionalSecret("DATABASE_URL", default: Self.defaultURL, accepts: Self.accepted,
                                                     redact: Self.redactedURL, Self.parse) else {
                preconditionFailure("the default of DATABASE_URL does not parse")
            }
            self.service = service
            // A password may sit in the URLs: they are shown with it masked.
            if let migration = try r.optionalSecret("MIGRATE_DATABASE_URL", accepts: Self.accepted,
                                                    redact: Self.redactedURL, Self.parse) {
                self.migration = migration
            } else {
                migration = service
                r.showLast(Self.redactedURL(service.url))
            }
            if let system = try r.optionalSecret("SYSTEM_DATABASE_URL", accepts: Self.accepted,
                                                 redact: Self.redactedURL, Self.parse) {
                self.system = system
            } else {
                system = SystemDatabase.defaultConfiguration(from: service)
                r.showLast(Self.redactedURL(system.url))
            }
            migrationsDirectory = try r.optional("FILESTORE_MIGRATIONS_DIR", accepts: "a folder of NNNN_name.sql files") { $0 }
        }

        static func parse(_ text: String) throws -> DatabaseConfiguration? {
            do { return try DatabaseConfiguration(url: text) } catch let error as JobKitError {
                // JobKit's message may quote the URL: never with its password.
                var detail = error.message.replacingOccurrences(of: text, with: redactedURL(text))
                if let password = URLComponents(string: text)?.password, !password.isEmpty {
                    detail = detail.replacingOccurrences(of: password, with: "***")
                }
                throw Detail(detail)
            }
        }

        /// The URL with its password replaced by `***`.
        public static func redactedURL(_ text: String) -> String {
            guard var c = URLComponents(string: text) else { return "<unparsable URL>" }
            if c.password != nil { c.password = "***" }
            return c.string ?? "<unparsable URL>"
        }
    }
}

/// A parser's explanation, carried into a ``ConfigurationError``'s detail.
struct Detail: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
