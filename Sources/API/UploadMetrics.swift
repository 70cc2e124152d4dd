import Metrics

/// Counters of what the API accepted and refused: `filestore_upload_bytes_total{kind}` (bytes stored by direct
/// uploads and tus appends, counted once the store acknowledged them) and `filestore_rate_limited_total{class}`
/// (requests refused with 429 by the rate limiter, by endpoint class).
enum APIMetrics {
    /// `kind`: `direct` (POST /v1/files) or `tus` (creation-with-upload and PATCH).
    static func uploaded(_ kind: String, bytes: Int64) {
        guard bytes > 0 else { return }
        Counter(label: "filestore_upload_bytes_total", dimensions: [("kind", kind)]).increment(by: bytes)
    }

    static func rateLimited(_ endpoint: RateLimiter.EndpointClass) {
        Counter(label: "filestore_rate_limited_total", dimensions: [("class", endpoint.rawValue)]).increment()
    }
}
