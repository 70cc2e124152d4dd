import Domain

/// A scope a caller may hold.
public enum Scope: String, Sendable, CaseIterable, Codable {
    case filesRead = "files:read"
    case filesWrite = "files:write"
    case filesAdmin = "files:admin"
    case jobsAdmin = "jobs:admin"
    /// Read-only access to the SRE console and its admin API (`jobs:admin` implies it).
    case jobsRead = "jobs:read"
    case complianceAdmin = "compliance:admin"
    case webhooksAdmin = "webhooks:admin"
}

/// Who is calling: a subject of one tenant with its scopes (the API takes it from a verified bearer token).
public struct Identity: Sendable, Hashable {
    public var subject: String
    public var tenant: TenantID
    public var scopes: Set<Scope>

    public init(subject: String, tenant: TenantID, scopes: Set<Scope>) {
        self.subject = subject
        self.tenant = tenant
        self.scopes = scopes
    }

    /// Throws `FORBIDDEN` unless the identity has `scope` (`files:admin` implies read and write).
    public func require(_ scope: Scope) throws {
        if scopes.contains(scope) { return }
        if (scope == .filesRead || scope == .filesWrite), scopes.contains(.filesAdmin) { return }
        throw FileError(.forbidden, "this operation needs the \(scope.rawValue) scope")
    }
}
