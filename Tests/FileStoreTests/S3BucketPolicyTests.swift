import Domain
import Foundation
import NIOCore
@testable import Storage
import TestSupport
import Testing

/// `infra/s3/bucket-policy.example.json` applied to a bucket of the tests' Ceph gateway — its principals rewritten to
/// the gateway's users (`TEST_S3_SERVICE_PRINCIPAL`, `TEST_S3_TENANT_PRINCIPAL`), its bucket to a fresh one, and its
/// TLS-only statement left out (the gateway is plain HTTP on loopback): the tenant's principal reads its own prefix and
/// nothing of another tenant's, and the service cannot write outside `tenants/`.
@Suite(.enabled(if: S3TestEnvironment.isConfigured && S3TestEnvironment.environment["TEST_S3_TENANT_ACCESS_KEY_ID"] != nil,
                "TEST_S3_ENDPOINT or TEST_S3_TENANT_ACCESS_KEY_ID is unset: run scripts/test.sh, which starts Ceph (scripts/ceph.sh) and sets them"))
struct S3BucketPolicyTests {
    @Test func theExamplePolicyKeepsATenantsPrincipalInsideItsPrefixAndTheServiceInsideTenants() async throws {
        let env = S3TestEnvironment.environment
        let bucket = "policy-\(UUID().uuidString.lowercased().prefix(8))"
        var service = S3TestEnvironment.configuration()
        service.bucket = bucket
        service.keyPrefix = ""
        let (admin, cleanup) = try S3TestEnvironment.open(service)
        defer { cleanup() }
        _ = try await admin.send(.PUT, "", accept: [200], operation: "CreateBucket \(bucket)")
        let acme = try TenantID("acme"), globex = try TenantID("globex")
        let acmeKey = try ObjectKey(tenant: acme, file: PrefixedID(.file)), globexKey = try ObjectKey(tenant: globex, file: PrefixedID(.file))
        _ = try await admin.put(acmeKey, body: chunks([1, 2, 3], size: 3), limit: nil)
        _ = try await admin.put(globexKey, body: chunks([4, 5], size: 2), limit: nil)

        var policy = try String(contentsOf: TestDatabase.repositoryRoot.appendingPathComponent("infra/s3/bucket-policy.example.json"), encoding: .utf8)
        policy = policy.replacingOccurrences(of: "arn:aws:iam::111122223333:role/filestore-service", with: env["TEST_S3_SERVICE_PRINCIPAL"] ?? "")
            .replacingOccurrences(of: "arn:aws:iam::111122223333:role/filestore-tenant-acme", with: env["TEST_S3_TENANT_PRINCIPAL"] ?? "")
            .replacingOccurrences(of: "filestore-blobs", with: bucket)
        var document = try #require(try JSONSerialization.jsonObject(with: Data(policy.utf8)) as? [String: Any])
        let statements = try #require(document["Statement"] as? [[String: Any]])
        #expect(statements.count == 7)
        document["Statement"] = statements.filter { $0["Sid"] as? String != "TLSOnly" }
        let body = try JSONSerialization.data(withJSONObject: document)
        _ = try await admin.send(.PUT, "", query: [("policy", "")], body: ByteBuffer(bytes: body), accept: [200, 204], operation: "PutBucketPolicy")

        // The tenant's principal: its own prefix only.
        var tenantConfiguration = service
        tenantConfiguration.credentials = S3Credentials(accessKeyID: env["TEST_S3_TENANT_ACCESS_KEY_ID"] ?? "",
                                                        secretAccessKey: env["TEST_S3_TENANT_SECRET_ACCESS_KEY"] ?? "")
        let (tenant, tenantCleanup) = try S3TestEnvironment.open(tenantConfiguration)
        defer { tenantCleanup() }
        // The gateway applies a new policy within moments; the first read may still see the old (none).
        try await eventually("the policy applies", timeout: .seconds(20)) {
            (try? await collect(tenant.read(acmeKey, range: nil))) == [1, 2, 3]
        }
        let other = await #expect(throws: FileError.self) { try await collect(tenant.read(globexKey, range: nil)) }
        #expect(other?.code == .storageFailure && other?.message.contains("403") == true, "\(String(describing: other))")
        #expect(try await tenant.list(prefix: "tenants/acme/", continuation: nil).keys == [acmeKey.path])
        await #expect(throws: FileError.self) { try await tenant.list(prefix: "tenants/", continuation: nil) }
        await #expect(throws: FileError.self) { try await tenant.put(ObjectKey(tenant: acme, file: PrefixedID(.file)), body: chunks([9], size: 1), limit: nil) }
        // The service: everything under tenants/, nothing outside it.
        #expect(try await admin.size(of: globexKey) == 2)
        var outside = service
        outside.keyPrefix = "outside/"
        let (stray, strayCleanup) = try S3TestEnvironment.open(outside)
        defer { strayCleanup() }
        let refused = await #expect(throws: FileError.self) { try await stray.put(acmeKey, body: chunks([7], size: 1), limit: nil) }
        #expect(refused?.message.contains("403") == true, "\(String(describing: refused))")
    }
}
