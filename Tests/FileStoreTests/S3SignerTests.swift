import Foundation
import Storage
import Testing

/// Signature V4 against AWS's published examples (Amazon S3 API reference, "Signature Calculations for the
/// Authorization Header: Transferring Payload in a Single Chunk", examples of 24 May 2013 for `examplebucket`).
@Suite struct S3SignerTests {
    static let credentials = S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let date = Date(timeIntervalSince1970: 1_369_353_600) // 2013-05-24T00:00:00Z
    let signer = S3Signer(credentials: credentials, region: "us-east-1")
    let host = "examplebucket.s3.amazonaws.com"

    func authorization(_ headers: [(String, String)]) -> String? { headers.first { $0.0 == "Authorization" }?.1 }

    @Test func getObjectWithARange() {
        let out = signer.sign(method: "GET", host: host, path: "/test.txt", query: [], headers: [("Range", "bytes=0-9")],
                              payloadHash: S3Signer.emptyPayloadHash, date: Self.date)
        #expect(authorization(out) == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(out.contains { $0 == ("x-amz-date", "20130524T000000Z") })
    }

    @Test func putObjectSignsThePayloadHashAndEncodesThePath() {
        // "Welcome to Amazon S3." — the payload's SHA-256 is signed, so the server checks the bytes.
        let payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        #expect(S3Signer.encodePath("test$file.text") == "/test%24file.text")
        let out = signer.sign(method: "PUT", host: host, path: S3Signer.encodePath("test$file.text"), query: [],
                              headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                              payloadHash: payload, date: Self.date)
        #expect(authorization(out) == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            + "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
        #expect(out.contains { $0 == ("x-amz-content-sha256", payload) })
    }

    @Test func getBucketLifecycleSignsAnEmptyQueryValue() {
        let out = signer.sign(method: "GET", host: host, path: "/", query: [("lifecycle", "")], headers: [],
                              payloadHash: S3Signer.emptyPayloadHash, date: Self.date)
        #expect(authorization(out)?.hasSuffix("SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543") == true)
    }

    @Test func listObjectsSortsTheQuery() {
        // Given out of order: the canonical query is sorted (max-keys before prefix).
        let out = signer.sign(method: "GET", host: host, path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [],
                              payloadHash: S3Signer.emptyPayloadHash, date: Self.date)
        #expect(authorization(out)?.hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7") == true)
        #expect(S3Signer.canonicalQuery([("prefix", "J"), ("max-keys", "2")]) == "max-keys=2&prefix=J")
    }

    @Test func aSessionTokenIsSentAndSignedAndChangesTheSignature() {
        var withToken = Self.credentials
        withToken.sessionToken = "session-token-fixture"
        let plain = signer.sign(method: "GET", host: host, path: "/test.txt", query: [], headers: [], payloadHash: S3Signer.emptyPayloadHash, date: Self.date)
        let temporary = S3Signer(credentials: withToken, region: "us-east-1")
            .sign(method: "GET", host: host, path: "/test.txt", query: [], headers: [], payloadHash: S3Signer.emptyPayloadHash, date: Self.date)
        #expect(temporary.contains { $0 == ("x-amz-security-token", "session-token-fixture") })
        #expect(authorization(temporary)?.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,") == true)
        #expect(authorization(temporary) != authorization(plain))
        #expect(!plain.contains { $0.0 == "x-amz-security-token" })
        #expect(!"\(withToken)".contains("session-token-fixture") && !"\(withToken)".contains("EXAMPLEKEY"))
    }

    @Test func keysAreEncodedAsSigV4Wants() {
        #expect(S3Signer.encode("a b+c/d~e") == "a%20b%2Bc%2Fd~e")
        #expect(S3Signer.encodePath("tenants/acme/files/file_1/original") == "/tenants/acme/files/file_1/original")
        #expect(S3Signer.encode("é") == "%C3%A9")
    }
}
