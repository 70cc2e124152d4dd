import API
import Domain
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// What a new user trips over when trying the API from a shell (issue 10, item 9).
@Suite struct FirstUseTests {
    static let jpegBytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 1, count: 200)

    func upload(_ client: any TestClientProtocol, _ headers: HTTPFields, _ bytes: [UInt8]) async throws -> FileResource {
        try await client.execute(uri: "/v1/files", method: .post, headers: headers, body: ByteBuffer(bytes: bytes)) { (r: TestResponse) throws in
            #expect(r.status == .created)
            return try decode(FileResource.self, r)
        }
    }

    /// `curl --data-binary @photo.jpg` sends `application/x-www-form-urlencoded`: that declares nothing.
    @Test func theFormTypeCurlSendsByDefaultIsNoDeclaration() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let form = try await upload(client, h.headers(token, [.contentType: "application/x-www-form-urlencoded"]), Self.jpegBytes)
            #expect(form.content_type == "image/jpeg")
            #expect(form.declared_content_type == nil)
            #expect(form.type_mismatch == false)
            // A real declaration that disagrees is still a mismatch.
            let png = try await upload(client, h.headers(token, [.contentType: "image/png"]), Self.jpegBytes)
            #expect(png.declared_content_type == "image/png" && png.type_mismatch == true)
        }
    }

    func signedURL(_ h: APIHarness, _ client: any TestClientProtocol) async throws -> String {
        let token = try await h.token()
        let file = try await upload(client, h.headers(token), pngBytes)
        return try await client.execute(uri: "/v1/files/\(file.id)/urls", method: .post, headers: h.headers(token, [.contentType: "application/json"]),
                                        body: ByteBuffer(string: "{}")) { (r: TestResponse) throws -> String in
            #expect(r.status == .created)
            let object = try JSONSerialization.jsonObject(with: Data(buffer: r.body)) as? [String: Any]
            return object?["url"] as? String ?? ""
        }
    }

    @Test func signedURLsAreAbsoluteUnderThePublicURLAndRelativeWithoutOne() async throws {
        try await APIHarness.with(configuration: APIConfiguration(publicURL: "https://files.example.com/")) { h, client in
            let url = try await signedURL(h, client)
            #expect(url.hasPrefix("https://files.example.com/v1/download/acme/med_"), "\(url)")
        }
        try await APIHarness.with { h, client in
            let url = try await signedURL(h, client)
            #expect(url.hasPrefix("/v1/download/acme/med_"), "\(url)")
        }
    }

    /// JSON keys come sorted, so two calls give the same bytes in the same order.
    @Test func jsonResponsesKeepOneSortedKeyOrder() async throws {
        try await APIHarness.with { h, client in
            let token = try await h.token()
            let file = try await upload(client, h.headers(token), pngBytes)
            var bodies: [String] = []
            for uri in ["/v1/files/\(file.id)", "/v1/files/\(file.id)", "/v1/files"] {
                try await client.execute(uri: uri, method: .get, headers: h.headers(token)) { (r: TestResponse) in
                    bodies.append(String(buffer: r.body))
                }
            }
            #expect(bodies[0] == bodies[1])
            let keys = ["content_type", "created_at", "id", "scan", "sha256", "size", "state", "type_mismatch", "updated_at", "variants"]
            for body in bodies {
                let positions = keys.map { body.range(of: "\"\($0)\":")?.lowerBound }
                #expect(!positions.contains(nil), "\(body)")
                let found = positions.compactMap { $0 }
                #expect(found == found.sorted(), "keys out of order in \(body)")
            }
            #expect(bodies[2].hasPrefix("{\"files\":"))
            // Slashes as a person reads them: "image/png", not "image\/png".
            #expect(bodies[0].contains("\"content_type\":\"image/png\""), "\(bodies[0])")
            #expect(!bodies.contains { $0.contains("\\/") })
        }
    }
}
