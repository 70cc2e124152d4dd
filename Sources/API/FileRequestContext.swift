import Domain
import FileCore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The request context of the file API: Hummingbird's core storage plus the caller's identity.
public struct FileRequestContext: RequestContext, RemoteAddressRequestContext, ConnectionRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address (`nil` in router tests); rate limits of unauthenticated clients go by it.
    public var remoteAddress: SocketAddress?
    /// The connection (for the TLS peer certificate; ``ClientCertificateMiddleware``).
    public var connection: (any Channel)?
    /// What trusted proxies forwarded as the client's address (``ClientAddressMiddleware``); `nil` without trusted
    /// proxies, where the client is ``remoteAddress`` (``RateLimiter/clientAddress(_:)`` reads either).
    public var clientAddress: String?
    /// What the access log reports of this request (``AccessLogMiddleware``); `nil` outside it.
    var facts: RequestFacts?
    /// Set by ``AuthMiddleware`` for every authenticated request.
    public var identity: Identity?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress
        self.connection = source.channel
    }

    /// JSON responses with sorted keys, so two calls give the same bytes in the same order.
    public var responseEncoder: JSONEncoder { APIJSON.encoder() }

    /// Uploads stream; this only bounds bodies that are collected (JSON requests).
    public var maxUploadSize: Int { 1024 * 1024 }

    /// The identity, or `UNAUTHENTICATED` (routes behind ``AuthMiddleware`` always have one).
    public func requireIdentity() throws -> Identity {
        guard let identity else { throw FileError(.unauthenticated, "authentication required") }
        return identity
    }
}
