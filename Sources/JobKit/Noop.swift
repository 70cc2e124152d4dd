/// The args of JobKit's built-in `noop` kind (``NoopWorker``), for smoke tests and drills.
public struct Noop: JobArgs {
    public static let kind = "noop"
    /// How long the job runs, in milliseconds. Default: not at all.
    public var sleepMS: Int?
    /// Fail the first N attempts. Default: none.
    public var failTimes: Int?

    public init(sleepMS: Int? = nil, failTimes: Int? = nil) {
        self.sleepMS = sleepMS
        self.failTimes = failTimes
    }

    enum CodingKeys: String, CodingKey {
        case sleepMS = "sleep_ms"
        case failTimes = "fail_times"
    }
}
