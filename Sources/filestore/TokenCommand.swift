import API
import FileCore
import ArgumentParser
import Domain
import FilestoreConfig
import Foundation

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Bearer tokens for the file API.",
                                                    subcommands: [Issue.self])

    struct Issue: ConfiguredCommand {
        static let configuration = CommandConfiguration(abstract: "Mint a token with the current key (the first of FILESTORE_JWT_KEYS).")
        @Option(help: "The tenant the token acts for.") var tenant: String
        @Option(parsing: .upToNextOption, help: "Scopes: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")).")
        var scope: [String]
        @Option(help: "Lifetime, e.g. 15m, 12h, 30d.") var ttl = "1h"
        @Option(help: "The token's subject (who it is for).") var subject = "operator"

        func run(configuration: FilestoreConfiguration) async throws {
            let tenant: TenantID
            do { tenant = try TenantID(self.tenant) } catch { throw ValidationError("invalid tenant '\(self.tenant)': use 1-64 of a-z 0-9 _ -") }
            let scopes = try scope.map { name -> Scope in
                guard let s = Scope(rawValue: name) else {
                    throw ValidationError("unknown scope '\(name)'; scopes are \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return s
            }
            guard !scopes.isEmpty else { throw ValidationError("give at least one --scope") }
            let seconds = try parseDuration(ttl)
            let keys = try await TokenKeys(configuration.keys.requireJWT().map(\.pair))
            print(try await keys.issue(TokenPayload(subject: subject, tenant: tenant, scopes: scopes, ttl: seconds)))
        }
    }
}

/// Parses `90s`, `15m`, `12h`, `30d` into seconds.
func parseDuration(_ text: String) throws -> TimeInterval {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
    guard let unit = text.last, let factor = units[unit], let n = Double(text.dropLast()), n > 0 else {
        throw ValidationError("durations look like 90s, 15m, 12h or 30d; got '\(text)'")
    }
    return n * factor
}
