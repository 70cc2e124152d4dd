import Domain
import FileCore
import Foundation
import Storage
import TestSupport
import Testing

/// Webhook signing secrets at rest: sealed with the operator's encryption key (AES-256-GCM bound to the endpoint's
/// id), opened to sign, re-sealed after a key rotation; rows written before keys were configured keep signing.
@Suite struct WebhookSecretSealingTests {
    // Low-entropy fixture keys (the secrets scan must find nothing here).
    static let k1 = (kid: "k1", secret: String(repeating: "a", count: 40))
    static let k2 = (kid: "k2", secret: String(repeating: "b", count: 40))

    @Test func aSealedSecretOpensOnlyWithItsKeyOnItsRowAndUnaltered() throws {
        let sealer = SecretSealer([Self.k1])
        let secret = WebhookSigner.newSecret()
        let sealed = try sealer.seal(secret, context: "whk_A")
        #expect(sealed.hasPrefix("sealed:v1:k1:"))
        #expect(!sealed.contains(secret) && !sealed.contains(String(secret.dropFirst(6))), "the sealed text does not carry the secret")
        #expect(try sealer.open(sealed, context: "whk_A") == secret)
        #expect(try sealer.seal(secret, context: "whk_A") != sealed, "a fresh nonce every time")
        #expect(throws: SecretSealerError.self) { try sealer.open(sealed, context: "whk_B") }            // moved to another row
        var bytes = Array(sealed.utf8)
        bytes[bytes.count - 3] = bytes[bytes.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: SecretSealerError.self) { try sealer.open(String(decoding: bytes, as: UTF8.self), context: "whk_A") }
        let other = SecretSealer([Self.k2])
        #expect { try other.open(sealed, context: "whk_A") } throws: { ($0 as? SecretSealerError)?.message.contains("'k1'") == true }
        // Plain text (a row from before keys were configured) opens as itself; without keys nothing is sealed.
        #expect(try sealer.open(secret, context: "whk_A") == secret)
        #expect(try SecretSealer.none.seal(secret, context: "whk_A") == secret)
        #expect(!sealer.isCurrent(secret) && sealer.isCurrent(sealed))
        let rotated = SecretSealer([Self.k2, Self.k1])
        #expect(!rotated.isCurrent(sealed))
        #expect(try rotated.open(sealed, context: "whk_A") == secret)
    }

    @Test func theRelaySignsWithSealedSecretsAndAResealMovesEveryRowToTheCurrentKey() async throws {
        try await RelayHarness.with(sealer: SecretSealer([Self.k1])) { h in
            let endpoint = try await h.core.webhooks.create(url: "http://127.0.0.1:1/placeholder", topics: ["file.*"], description: nil,
                                                            as: RelayHarness.writer)
            let stored = try #require(try await h.scalar("SELECT secret FROM webhook_endpoints WHERE id = '\(endpoint.id)'", as: String.self))
            #expect(stored.hasPrefix("sealed:v1:k1:") && !stored.contains(endpoint.secret))
            #expect(try await h.core.webhooks.get(endpoint.id, as: RelayHarness.writer).secret == endpoint.secret)
            // A second endpoint as a release before sealing wrote it: its secret in plain text.
            let legacy = WebhookSigner.newSecret()
            let legacyID = PrefixedID(.webhook).description
            try await h.execute("""
                INSERT INTO webhook_endpoints (id, tenant_id, url, topics, enabled, secret)
                VALUES ('\(legacyID)', 'acme', 'http://127.0.0.1:1/placeholder', '{file.*}', true, '\(legacy)')
                """)
            let receiver = try WebhookReceiver(secrets: [endpoint.secret, legacy])
            defer { receiver.stop() }
            _ = try await h.core.webhooks.update(endpoint.id, .init(url: receiver.url + "/sealed"), as: RelayHarness.writer)
            try await h.execute("UPDATE webhook_endpoints SET url = '\(receiver.url)/legacy' WHERE id = '\(legacyID)'")
            try await h.withRelay {
                _ = try await h.upload(3)
                try await eventually("6 deliveries", timeout: .seconds(60)) { try receiver.entries().delivered.count >= 6 }
            }
            let entries = try receiver.entries().delivered
            #expect(entries.count == 6)
            #expect(entries.allSatisfy { $0.verified == [0] || $0.verified == [1] }, "each request verifies with its endpoint's secret")
            #expect(entries.filter { $0.verified == [0] }.count == 3 && entries.filter { $0.verified == [1] }.count == 3)

            // Rotation: k2 first. The reseal moves both rows (the plain one and the k1 one) to k2; k1 may go then.
            let rotated = FileCore(database: h.core.database, blobs: h.core.blobs, configuration: {
                var c = h.core.configuration
                c.secretSealer = SecretSealer([Self.k2, Self.k1])
                return c
            }())
            #expect(try await rotated.webhooks.resealSecrets(tenant: RelayHarness.writer.tenant, dryRun: true) == 2)
            #expect(try await rotated.webhooks.resealSecrets(tenant: RelayHarness.writer.tenant, dryRun: false) == 2)
            #expect(try await rotated.webhooks.resealSecrets(tenant: RelayHarness.writer.tenant, dryRun: false) == 0)
            let after = try #require(try await h.scalar("SELECT string_agg(left(secret, 13), ',' ORDER BY id) FROM webhook_endpoints", as: String.self))
            #expect(after == "sealed:v1:k2:,sealed:v1:k2:")
            let onlyK2 = FileCore(database: h.core.database, blobs: h.core.blobs, configuration: {
                var c = h.core.configuration
                c.secretSealer = SecretSealer([Self.k2])
                return c
            }())
            #expect(try await onlyK2.webhooks.get(endpoint.id, as: RelayHarness.writer).secret == endpoint.secret)
            #expect(try await onlyK2.webhooks.get(try #require(PrefixedID(parsing: legacyID, as: .webhook)), as: RelayHarness.writer).secret == legacy)
            // The old key alone no longer opens them, and says which key it lacks.
            await #expect { try await h.core.webhooks.get(endpoint.id, as: RelayHarness.writer) } throws: {
                ($0 as? SecretSealerError)?.message.contains("'k2'") == true
            }
        }
    }
}
