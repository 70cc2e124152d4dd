import API
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import JobKit
import Storage

/// Sign-in, sign-out and the checks every page and API call goes through.
extension Console {
    /// The session cookie's name.
    public static let sessionCookie = "fs_console"
    /// The sign-in form's double-submit cookie (CSRF on the login form itself).
    static let loginCookie = "fs_console_login"
    /// Largest form or JSON body the console reads: 256 KiB.
    static let maximumBody = 256 * 1024

    func addAccess(to admin: RouterGroup<FileRequestContext>) {
        admin.get("login") { request, _ in
            let nonce = SessionTokens.random()
            var response = try self.html(self.templates.render("login", compact(["csrf": nonce, "notice": request.uri.queryParameters.get("notice")]),
                                                               session: nil))
            response.headers.append(HTTPField(name: .setCookie, value: self.cookie(Self.loginCookie, nonce, maxAge: 600)))
            return response
        }
        admin.post("login") { request, context in
            let form = try await self.form(request, context)
            guard let sent = form["csrf"], let expected = request.cookies[Self.loginCookie]?.value,
                  SessionTokens.equal(sent, expected) else {
                throw FileError(.forbidden, "missing or wrong CSRF token on the sign-in form; reload /admin/login")
            }
            guard let token = form["token"] else { throw FileError(.invalidRequest, "paste a bearer token carrying jobs:admin or jobs:read") }
            let identity = try await self.keys.verify(token.trimmingCharacters(in: .whitespacesAndNewlines))
            let session = try Self.consoleSession(identity, csrf: SessionTokens.random())
            let cookieToken = SessionTokens.random()
            let expires = Date().addingTimeInterval(Double(self.configuration.sessionLifetime.components.seconds))
            try await self.repository.createSession(tokenHash: SessionTokens.hash(cookieToken), ConsoleRepository.SessionRow(
                subject: session.subject, tenant: session.tenant, canAct: session.canAct, csrfToken: session.csrfToken!, expiresAt: expires))
            try await self.repository.audit(actor: session.actor, action: "sign_in", target: nil, filter: nil, matched: 0, done: 0, status: "done",
                                            detail: session.canAct ? "jobs:admin" : "jobs:read (read-only)")
            var response = Self.redirect("/admin")
            response.headers.append(HTTPField(name: .setCookie, value: self.cookie(Self.sessionCookie, cookieToken,
                                                                                 maxAge: Int(self.configuration.sessionLifetime.components.seconds))))
            response.headers.append(HTTPField(name: .setCookie, value: self.cookie(Self.loginCookie, "", maxAge: 0)))
            return response
        }
        admin.post("logout") { request, context in
            try await self.action(request, context, allowReadOnly: true) { session, _ in
                if let token = request.cookies[Self.sessionCookie]?.value {
                    try await self.repository.deleteSession(tokenHash: SessionTokens.hash(token))
                }
                var response = Self.redirect("/admin/login?notice=signed+out")
                response.headers.append(HTTPField(name: .setCookie, value: self.cookie(Self.sessionCookie, "", maxAge: 0)))
                return response
            }
        }
    }

    /// A console session for a verified identity: `jobs:admin` acts, `jobs:read` looks; anything else is refused.
    static func consoleSession(_ identity: Identity, csrf: String?) throws -> ConsoleSession {
        if identity.scopes.contains(.jobsAdmin) {
            return ConsoleSession(subject: identity.subject, tenant: identity.tenant.value, canAct: true, csrfToken: csrf)
        }
        if identity.scopes.contains(.jobsRead) {
            return ConsoleSession(subject: identity.subject, tenant: identity.tenant.value, canAct: false, csrfToken: csrf)
        }
        throw FileError(.forbidden, "the console needs the jobs:admin or jobs:read scope")
    }

    /// `Set-Cookie` for `name`: HttpOnly, SameSite=Strict, Path=/admin, Secure under TLS.
    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/admin; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (configuration.secureCookies ? "; Secure" : "")
    }

    /// The caller: a bearer token (scripts) or the session cookie (the browser); `nil` when neither is there.
    /// A bad bearer token is `UNAUTHENTICATED`; a token without the console's scopes `FORBIDDEN`.
    func session(from request: Request) async throws -> ConsoleSession? {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            let identity = try await keys.verify(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
            return try Self.consoleSession(identity, csrf: nil)
        }
        guard let token = request.cookies[Self.sessionCookie]?.value, (20...128).contains(token.utf8.count) else { return nil }
        guard let row = try await repository.session(tokenHash: SessionTokens.hash(token)) else { return nil }
        return ConsoleSession(subject: row.subject, tenant: row.tenant, canAct: row.canAct, csrfToken: row.csrfToken)
    }

    /// A page: the session's, or a redirect to sign-in.
    func page(_ request: Request, _ body: (ConsoleSession) async throws -> Response) async throws -> Response {
        guard let session = try await session(from: request) else { return Self.redirect("/admin/login") }
        return try await mapped { try await body(session) }
    }

    /// An API read: the session's, or `UNAUTHENTICATED`.
    func read(_ request: Request, _ body: (ConsoleSession) async throws -> Response) async throws -> Response {
        guard let session = try await session(from: request) else { throw FileError(.unauthenticated, "sign in at /admin/login or send a bearer token") }
        return try await mapped { try await body(session) }
    }

    /// A state-changing request: a session that may act (`jobs:admin`) and, for cookie sessions, the session's
    /// CSRF token in the form's `csrf` field or the `X-CSRF-Token` header. The body is read here (a form, or
    /// JSON for the API) and handed on.
    func action(_ request: Request, _ context: FileRequestContext, allowReadOnly: Bool = false,
                _ body: (ConsoleSession, FormData) async throws -> Response) async throws -> Response {
        guard let session = try await session(from: request) else { throw FileError(.unauthenticated, "sign in at /admin/login or send a bearer token") }
        let form = try await self.form(request, context)
        if let expected = session.csrfToken {
            let sent = form["csrf"] ?? request.headers[HTTPField.Name("X-CSRF-Token")!]
            guard let sent, SessionTokens.equal(sent, expected) else {
                throw FileError(.forbidden, "missing or wrong CSRF token; reload the page and try again")
            }
        }
        guard session.canAct || allowReadOnly else { throw FileError(.forbidden, "this session is read-only (jobs:read); acting needs jobs:admin") }
        return try await mapped { try await body(session, form) }
    }

    /// The request's body as a form: a urlencoded form as it is, a JSON object (the admin API's) flattened into
    /// the same fields — `ids` to repeated `id`, `filter`'s members to top-level fields, objects (`args`) to JSON
    /// text, `null` left out — so pages and API share one reading.
    func form(_ request: Request, _ context: FileRequestContext) async throws -> FormData {
        let type = request.headers[.contentType] ?? ""
        let body = try await rawBody(request, context)
        guard type.hasPrefix("application/json") else { return FormData(String(decoding: body, as: UTF8.self)) }
        if body.isEmpty { return FormData("") }
        guard case .object(let object)? = JSONValue.parse(body) else { throw FileError(.invalidRequest, "the body must be a JSON object") }
        var form = FormData("")
        func add(_ key: String, _ value: JSONValue) throws {
            switch value {
            case .null: return
            case .bool(let b): form.pairs.append((key, b ? "1" : "0"))
            case .integer(let i): form.pairs.append((key, String(i)))
            case .number(let d): form.pairs.append((key, String(d)))
            case .string(let s): form.pairs.append((key, s))
            case .array(let a) where key == "ids": for v in a { try add("id", v) }
            case .object(let o) where key == "filter": for (k, v) in o { try add(k, v) }
            case .object: form.pairs.append((key, jsonText(value.foundation)))
            case .array: throw FileError(.invalidRequest, "field \(key.prefix(64)) cannot be an array")
            }
        }
        for (k, v) in object { try add(k, v) }
        return form
    }

    func rawBody(_ request: Request, _ context: FileRequestContext) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: Self.maximumBody)
            return Array(buffer.readableBytesView)
        } catch {
            throw FileError(.payloadTooLarge, "the console reads bodies of at most \(Self.maximumBody) bytes")
        }
    }

    /// JobKit's errors as the envelope's codes: unknown job 404, wrong state 409, bad input 400.
    func mapped(_ body: () async throws -> Response) async throws -> Response {
        do { return try await body() } catch let error as JobKitError {
            switch error.code {
            case .jobNotFound: throw FileError(.notFound, error.message)
            case .invalidState: throw FileError(.illegalTransition, error.message)
            default: throw FileError(.invalidRequest, error.message)
            }
        } catch let error as ScheduleLookupError {
            throw FileError(.notFound, error.message)
        }
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A schedule named in a URL that does not exist.
struct ScheduleLookupError: Error {
    var message: String
}
