import Domain
import Hummingbird
import NIOCore
import NIOSSL

/// A request context that knows its connection, so a middleware can ask it for the TLS peer certificate.
public protocol ConnectionRequestContext: RequestContext {
    /// The connection the request came on (`nil` in router tests).
    var connection: (any Channel)? { get }
}

/// Mutual TLS for a route group (service-to-service routes: `/metrics`, later the admin API and the inbox): the
/// client must have presented a certificate that the listener verified against its client CA
/// (``TLSFiles/clientCA``) and whose subject is on `allowedSubjects` — else 403 `FORBIDDEN` in the envelope.
/// Reusable on any group: `group.add(middleware: ClientCertificateMiddleware(allowedSubjects: [...]))`.
public struct ClientCertificateMiddleware<Context: ConnectionRequestContext>: RouterMiddleware {
    /// Entries as ``TLSClientSubject/matches(_:)`` reads them: `CN=scraper,O=ops`, or a bare common name.
    public let allowedSubjects: [String]

    public init(allowedSubjects: [String]) {
        self.allowedSubjects = allowedSubjects
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let connection = context.connection,
              let certificate = try? await connection.nioSSL_peerCertificate().get() else {
            throw FileError(.forbidden, "this route needs a client certificate (mutual TLS)")
        }
        guard let der = try? certificate.toDERBytes(), let subject = TLSClientSubject(certificateDER: der),
              allowedSubjects.contains(where: subject.matches) else {
            throw FileError(.forbidden, "the client certificate's subject is not allowed on this route")
        }
        return try await next(request, context)
    }
}

/// The request context of a worker's ops listener: Hummingbird's core storage and the connection.
public struct OpsRequestContext: ConnectionRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var connection: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.connection = source.channel
    }
}
