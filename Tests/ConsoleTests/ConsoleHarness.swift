import API
import Console
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobKit
import NIOCore
import ServiceLifecycle
import TestSupport
import Testing

/// A console over a fresh migrated database on the real PostgreSQL, its routes on a router as `serve` mounts
/// them (with the file API's error middleware), and helpers to sign in like a browser does.
struct ConsoleHarness {
    let env: TestEnv
    let keys: TokenKeys
    let console: Console

    static func with(_ configure: (inout ConsoleConfiguration) -> Void = { _ in },
                     _ body: @escaping @Sendable (ConsoleHarness, any TestClientProtocol) async throws -> Void) async throws {
        try await TestDatabase.with { env in
            let keys = try await TokenKeys([("k1", String(repeating: "console-test-", count: 3))])
            var configuration = ConsoleConfiguration()
            configuration.bulkBatchSize = 100
            configuration.bulkBatchPause = .milliseconds(5)
            configuration.liveMinimumInterval = .milliseconds(100)
            configuration.rollupInterval = .milliseconds(200)
            configure(&configuration)
            let console = try Console(postgres: env.postgres, keys: keys, notifier: nil, configuration: configuration)
            let router = Router(context: FileRequestContext.self)
            router.add(middleware: ErrorMiddleware())
            console.add(to: router)
            let harness = ConsoleHarness(env: env, keys: keys, console: console)
            let app = Application(router: router)
            try await app.test(.router) { client in try await body(harness, client) }
        }
    }

    func token(_ scopes: [Scope], subject: String = "sre-1") async throws -> String {
        try await keys.issue(TokenPayload(subject: subject, tenant: TenantID("ops"), scopes: scopes, ttl: 600))
    }

    /// A signed-in browser: its session cookie and the CSRF token its pages carry.
    struct Browser {
        var cookie: String
        var csrf: String
        var headers: HTTPFields { [.cookie: "\(Console.sessionCookie)=\(cookie)"] }
        func form(_ fields: [(String, String)], csrf include: Bool = true) -> (HTTPFields, ByteBuffer) {
            var h = headers
            h[.contentType] = "application/x-www-form-urlencoded"
            let all = (include ? [("csrf", csrf)] : []) + fields
            let body = all.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }.joined(separator: "&")
            return (h, ByteBuffer(string: body))
        }
    }

    /// Signs in through /admin/login as a browser does, returning the session.
    func signIn(_ client: any TestClientProtocol, scopes: [Scope]) async throws -> Browser {
        let form = try await client.execute(uri: "/admin/login", method: .get)
        let loginCookie = try #require(Self.cookie(named: "fs_console_login", in: form))
        let csrf = try #require(Self.hidden("csrf", in: String(buffer: form.body)))
        let token = try await self.token(scopes)
        let answer = try await client.execute(
            uri: "/admin/login", method: .post,
            headers: [.cookie: "fs_console_login=\(loginCookie)", .contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "csrf=\(csrf)&token=\(token)"))
        guard answer.status == .seeOther, let session = Self.cookie(named: Console.sessionCookie, in: answer) else {
            throw HarnessError("sign-in failed: \(answer.status) \(String(buffer: answer.body))")
        }
        let page = try await client.execute(uri: "/admin", method: .get, headers: [.cookie: "\(Console.sessionCookie)=\(session)"])
        let pageCSRF = try #require(Self.hidden("csrf", in: String(buffer: page.body)))
        return Browser(cookie: session, csrf: pageCSRF)
    }

    static func cookie(named name: String, in response: TestResponse) -> String? {
        for value in response.headers[values: .setCookie] where value.hasPrefix(name + "=") {
            return String(value.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    static func setCookie(named name: String, in response: TestResponse) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }
    }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let r = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }

    func enqueue(_ kind: String = "noop", args: String = "{}", queue: String = "default", tags: [String] = [], tenant: String? = nil) async throws -> Int64 {
        try await env.client.enqueue(JobInsert(kind: kind, argsJSON: args, queue: queue, tags: tags, tenantID: tenant)).id
    }

    func state(_ id: Int64) async throws -> JobState { try await env.client.job(id: id).state }

    /// Runs the console's services (live feed, rollups, bulk runner) around `body`.
    func withServices<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let group = ServiceGroup(configuration: .init(services: console.services.map { .init(service: $0) }, logger: TestDatabase.logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            let result = try await body()
            await group.triggerGracefulShutdown()
            return result
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The `code` of an error envelope.
func errorCode(_ response: TestResponse) -> String? {
    struct Body: Decodable { struct Inner: Decodable { var code: String }; var error: Inner }
    return try? JSONDecoder().decode(Body.self, from: Data(buffer: response.body)).error.code
}

func jsonObject(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
}
