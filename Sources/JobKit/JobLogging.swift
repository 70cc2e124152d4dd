import Logging

/// Job-scoped log metadata, built only when something is logged: the one place that names it, for the
/// handler's ``Job/logger`` and the executor's own messages.
enum JobLogging {
    static func logger(_ base: Logger, id: Int64, kind: String, attempt: Int, traceContext: String?) -> Logger {
        var logger = base
        logger[metadataKey: "job_id"] = "\(id)"
        logger[metadataKey: "job_kind"] = "\(kind)"
        logger[metadataKey: "attempt"] = "\(attempt)"
        if let traceContext { logger[metadataKey: "traceparent"] = "\(traceContext)" }
        return logger
    }

    static func logger(_ base: Logger, for job: FetchedJob) -> Logger {
        logger(base, id: job.id, kind: job.kind, attempt: job.attempt, traceContext: job.traceContext)
    }
}
