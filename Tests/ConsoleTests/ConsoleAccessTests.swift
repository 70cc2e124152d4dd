import API
import Console
import Domain
import FileCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobKit
import Testing
import TestSupport

/// Sign-in, sessions, CSRF and read-only refusal, through the routes as a browser and a script use them.
@Suite struct ConsoleAccessTests {
    @Test func signInExchangesTheTokenForAStrictHttpOnlyCookieAndPagesCarryTheCSP() async throws {
        try await ConsoleHarness.with { h, client in
            let login = try await client.execute(uri: "/admin/login", method: .get)
            #expect(login.status == .ok)
            let csp = try #require(login.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"))
            #expect(!String(buffer: login.body).contains("<script>"), "no inline script")
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            // The sign-in answer set the cookie as the issue asks: HttpOnly, SameSite=Strict, a short Max-Age.
            let login2 = try await client.execute(uri: "/admin/login", method: .get)
            let nonce = try #require(ConsoleHarness.cookie(named: "fs_console_login", in: login2))
            let csrf = try #require(ConsoleHarness.hidden("csrf", in: String(buffer: login2.body)))
            let answer = try await client.execute(uri: "/admin/login", method: .post,
                headers: [.cookie: "fs_console_login=\(nonce)", .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=\(csrf)&token=\(try await h.token([.jobsAdmin]))"))
            let set = try #require(ConsoleHarness.setCookie(named: Console.sessionCookie, in: answer))
            #expect(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Max-Age=1800") && !set.contains("Secure"))
            // The stored session is the cookie's hash, never the cookie.
            let raw = try #require(ConsoleHarness.cookie(named: Console.sessionCookie, in: answer))
            let stored = try await h.env.scalar("SELECT count(*)::int8 FROM console.sessions WHERE token_hash = \(raw)", as: Int64.self)
            #expect(stored == 0)
            let overview = try await client.execute(uri: "/admin", method: .get, headers: browser.headers)
            #expect(overview.status == .ok)
            #expect(String(buffer: overview.body).contains("sre-1@ops"))
            // Without a cookie a page sends the browser to sign in; the API says UNAUTHENTICATED.
            let anonymous = try await client.execute(uri: "/admin/jobs", method: .get)
            #expect(anonymous.status == .seeOther && anonymous.headers[.location] == "/admin/login")
            let api = try await client.execute(uri: "/admin/api/overview", method: .get)
            #expect(api.status == .unauthorized && errorCode(api) == "MELMASTOON.FILE.UNAUTHENTICATED")
            // A forged cookie is no session.
            let forged = try await client.execute(uri: "/admin", method: .get, headers: [.cookie: "\(Console.sessionCookie)=\(String(repeating: "A", count: 43))"])
            #expect(forged.status == .seeOther)
        }
    }

    @Test func secureCookiesUnderTLS() async throws {
        try await ConsoleHarness.with({ $0.secureCookies = true }) { h, client in
            let login = try await client.execute(uri: "/admin/login", method: .get)
            #expect(ConsoleHarness.setCookie(named: "fs_console_login", in: login)?.contains("; Secure") == true)
        }
    }

    @Test func signInRefusesAMissingLoginCSRFAWrongScopeAndABadToken() async throws {
        try await ConsoleHarness.with { h, client in
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let noNonce = try await client.execute(uri: "/admin/login", method: .post, headers: form,
                                                   body: ByteBuffer(string: "csrf=x&token=\(try await h.token([.jobsAdmin]))"))
            #expect(noNonce.status == .forbidden && errorCode(noNonce) == "MELMASTOON.FILE.FORBIDDEN")
            var withNonce = form
            let nonce = String(repeating: "n", count: 43)
            withNonce[.cookie] = "fs_console_login=\(nonce)"
            let wrongScope = try await client.execute(uri: "/admin/login", method: .post, headers: withNonce,
                body: ByteBuffer(string: "csrf=\(nonce)&token=\(try await h.token([.filesAdmin]))"))
            #expect(wrongScope.status == .forbidden)
            let badToken = try await client.execute(uri: "/admin/login", method: .post, headers: withNonce,
                body: ByteBuffer(string: "csrf=\(nonce)&token=not.a.jwt"))
            #expect(badToken.status == .unauthorized && errorCode(badToken) == "MELMASTOON.FILE.UNAUTHENTICATED")
            let sessions = try await h.env.scalar("SELECT count(*)::int8 FROM console.sessions", as: Int64.self)
            #expect(sessions == 0)
        }
    }

    @Test func aFormWithoutItsCSRFTokenIsRefusedAndChangesNothing() async throws {
        try await ConsoleHarness.with { h, client in
            _ = try await h.enqueue(queue: "mail")
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            let (headers, body) = browser.form([], csrf: false)
            let refused = try await client.execute(uri: "/admin/queues/mail/pause", method: .post, headers: headers, body: body)
            #expect(refused.status == .forbidden && errorCode(refused) == "MELMASTOON.FILE.FORBIDDEN")
            let (h2, wrong) = browser.form([("csrf", "wrong-token-wrong-token-wrong-token-wrong")], csrf: false)
            #expect(try await client.execute(uri: "/admin/queues/mail/pause", method: .post, headers: h2, body: wrong).status == .forbidden)
            #expect(try await h.env.client.queues().first { $0.name == "mail" }?.paused == false)
            let (h3, good) = browser.form([])
            let done = try await client.execute(uri: "/admin/queues/mail/pause", method: .post, headers: h3, body: good)
            #expect(done.status == .seeOther)
            #expect(try await h.env.client.queues().first { $0.name == "mail" }?.paused == true)
            // Audited: who, what, which queue.
            let audit = try await h.env.scalar("SELECT actor || ' ' || action || ' ' || target FROM console.audit WHERE action = 'queue_pause'", as: String.self)
            #expect(audit == "sre-1@ops queue_pause queue:mail")
        }
    }

    @Test func aReadOnlySessionSeesEverythingAndCanActOnNothing() async throws {
        try await ConsoleHarness.with { h, client in
            let id = try await h.enqueue(queue: "mail")
            try await h.env.client.discard(ids: [id])
            let browser = try await h.signIn(client, scopes: [.jobsRead])
            for page in ["/admin", "/admin/jobs", "/admin/jobs/\(id)", "/admin/dlq", "/admin/schedules", "/admin/audit"] {
                let r = try await client.execute(uri: page, method: .get, headers: browser.headers)
                #expect(r.status == .ok, "\(page)")
                #expect(!String(buffer: r.body).contains("id=\"action-retry\""), "no action buttons for read-only: \(page)")
            }
            let (headers, body) = browser.form([])
            let retry = try await client.execute(uri: "/admin/jobs/\(id)/retry", method: .post, headers: headers, body: body)
            #expect(retry.status == .forbidden && String(buffer: retry.body).contains("read-only"))
            #expect(try await h.state(id) == .discarded)
            let replay = try await client.execute(uri: "/admin/dlq/replay", method: .post, headers: headers, body: body)
            #expect(replay.status == .forbidden)
            // A read-only bearer token on the API: reads yes, actions no.
            let token = try await h.token([.jobsRead])
            let read = try await client.execute(uri: "/admin/api/jobs?state=discarded", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(read.status == .ok)
            let act = try await client.execute(uri: "/admin/api/jobs/\(id)/retry", method: .post, headers: [.authorization: "Bearer \(token)"])
            #expect(act.status == .forbidden)
            #expect(try await h.state(id) == .discarded)
            // Signing out ends the session server-side.
            let out = try await client.execute(uri: "/admin/logout", method: .post, headers: headers, body: body)
            #expect(out.status == .seeOther)
            let after = try await client.execute(uri: "/admin", method: .get, headers: browser.headers)
            #expect(after.status == .seeOther)
        }
    }

    @Test func aBrowserSessionOnTheJSONAPISendsItsCSRFTokenInAHeader() async throws {
        try await ConsoleHarness.with { h, client in
            _ = try await h.enqueue(queue: "mail")
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            var headers = browser.headers
            headers[.contentType] = "application/json"
            let refused = try await client.execute(uri: "/admin/api/queues/mail/pause", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            #expect(refused.status == .forbidden)
            #expect(try await h.env.client.queues().first { $0.name == "mail" }?.paused == false)
            headers[HTTPField.Name("X-CSRF-Token")!] = browser.csrf
            let done = try await client.execute(uri: "/admin/api/queues/mail/pause", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            #expect(done.status == .ok)
            #expect(try await h.env.client.queues().first { $0.name == "mail" }?.paused == true)
            // Another session's token is not this one's.
            let other = try await h.signIn(client, scopes: [.jobsAdmin])
            #expect(other.csrf != browser.csrf)
            headers[HTTPField.Name("X-CSRF-Token")!] = other.csrf
            #expect(try await client.execute(uri: "/admin/api/queues/mail/resume", method: .post, headers: headers).status == .forbidden)
        }
    }

    @Test func anExpiredSessionIsNoSession() async throws {
        try await ConsoleHarness.with { h, client in
            let browser = try await h.signIn(client, scopes: [.jobsAdmin])
            try await h.env.postgres.query("UPDATE console.sessions SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second'")
            let r = try await client.execute(uri: "/admin", method: .get, headers: browser.headers)
            #expect(r.status == .seeOther)
        }
    }

    @Test func badSettingsAreRefusedNamingThemselves() throws {
        var c = ConsoleConfiguration()
        c.bulkBatchSize = 0
        #expect(throws: ConsoleConfigurationError.self) { try c.validate() }
        do { try c.validate() } catch { #expect("\(error)".contains("batch size")) }
        c = ConsoleConfiguration()
        c.liveMaximumInterval = .milliseconds(1)
        do { try c.validate(); Issue.record("accepted a maximum below the minimum") } catch { #expect("\(error)".contains("live intervals")) }
    }
}
