import API
import Foundation

extension FilestoreConfiguration {
    /// The file API's listener and limits (`serve`, `dev`).
    public struct HTTP: Sendable {
        /// `FILESTORE_HTTP_HOST` (flag `--api-host`): the address the file API listens on. Default: `127.0.0.1`.
        public var host = "127.0.0.1"
        /// `FILESTORE_HTTP_PORT` (flag `--api-port`): its port, 1-65535. Default: 8080.
        public var port = 8080
        /// `FILESTORE_MAX_UPLOAD_BYTES` (flag `--max-upload-bytes`): the largest upload, as a size (`5G`, `512MiB`,
        /// bytes). Default: 5 GiB.
        public var maxUploadBytes: Int64 = 5 << 30
        /// `FILESTORE_RATE_LIMITS` (flag `--rate-limits`): per tenant and endpoint class,
        /// `upload=20/40,read=100/200,download=200/400,manage=20/40,unauthenticated=1/20` (per second/burst; classes
        /// left out keep their defaults; `unauthenticated` is per client address, for requests that fail
        /// authentication or a signature check), or `off`. Default: ``RateLimiter/defaultLimits``.
        public var rateLimits: [RateLimiter.EndpointClass: RateLimiter.Limit] = RateLimiter.defaultLimits
        /// `FILESTORE_PUBLIC_URL`: the service's public base URL (`https://files.example.com`), which makes signed
        /// URLs absolute. Default: none (signed URLs are relative, `/v1/download/…`).
        public var publicURL: URL?
        /// `FILESTORE_TRUSTED_PROXIES`: the proxies (addresses or networks, `10.0.0.0/8,fd00::/8`) whose
        /// `X-Forwarded-For` names the client, for the per-client limits. Default: none (the header is ignored).
        public var trustedProxies = TrustedProxies()
        /// `FILESTORE_ACCESS_LOG`: one log line per request at `info` (request id, method, route, path with
        /// credentials redacted, status, bytes, duration, tenant, client). Default: `true`.
        public var accessLog = true

        public init() {}

        /// The file API's limits and policies.
        public var apiConfiguration: APIConfiguration {
            var configuration = APIConfiguration(maxUploadBytes: maxUploadBytes,
                                                 publicURL: publicURL.map { $0.absoluteString.hasSuffix("/") ? String($0.absoluteString.dropLast()) : $0.absoluteString })
            configuration.trustedProxies = trustedProxies
            return configuration
        }

        init(reading r: inout SettingsReader) throws {
            r.section = "http"
            host = try r.value("FILESTORE_HTTP_HOST", default: host, accepts: "a host name or address") { $0 }
            port = try r.value("FILESTORE_HTTP_PORT", default: "8080", accepts: "a port number 1-65535") { Parse.port($0) }
            maxUploadBytes = try r.value("FILESTORE_MAX_UPLOAD_BYTES", default: "5GiB", accepts: ByteSize.accepted, ByteSize.parse)
            rateLimits = try r.value("FILESTORE_RATE_LIMITS", default: Self.defaultRateLimitsText,
                                     accepts: "`off` or class=perSecond/burst[,…] with class one of upload, read, download, manage, unauthenticated",
                                     Self.parseRateLimits)
            publicURL = try r.optional("FILESTORE_PUBLIC_URL", accepts: "an absolute http(s) URL without query, e.g. https://files.example.com",
                                       Parse.httpURL)
            accessLog = try r.value("FILESTORE_ACCESS_LOG", default: "true", accepts: "true or false", Parse.bool)
            trustedProxies = try r.optional("FILESTORE_TRUSTED_PROXIES", accepts: "IPv4/IPv6 addresses or networks (a.b.c.d/n, x:y::/n) separated by commas") {
                try TrustedProxies.parse($0).get()
            } ?? TrustedProxies()
        }

        static let defaultRateLimitsText = "upload=20/40,read=100/200,download=200/400,manage=20/40,unauthenticated=1/20"

        /// Parses `upload=20/40,read=100/200` (classes left out keep their defaults) or `off`.
        static func parseRateLimits(_ text: String) throws -> [RateLimiter.EndpointClass: RateLimiter.Limit]? {
            if text.trimmingCharacters(in: .whitespaces).lowercased() == "off" { return [:] }
            var limits = RateLimiter.defaultLimits
            for part in text.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
                let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                let nums = kv.count == 2 ? kv[1].split(separator: "/", omittingEmptySubsequences: false).map { Double($0) } : []
                guard kv.count == 2, let cls = RateLimiter.EndpointClass(rawValue: kv[0].lowercased()), nums.count == 2,
                      let perSecond = nums[0], let burst = nums[1], perSecond > 0, burst >= 1 else {
                    throw Detail("'\(part)' is not class=perSecond/burst with a positive rate and a burst of at least 1")
                }
                limits[cls] = .init(perSecond: perSecond, burst: burst)
            }
            return limits
        }
    }
}
