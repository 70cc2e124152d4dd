/// Every metric a filestore process exports: its Prometheus name and HELP text. The one list that
/// `/metrics`, `docs/OBSERVABILITY.md` and the dashboards are checked against (a test scrapes a live process and
/// fails on a metric missing here, and on an entry missing from the doc).
public enum MetricCatalog {
    /// The Prometheus name of what other packages record under their own names (Hummingbird's HTTP metrics),
    /// so that every exported name follows the conventions: `_total` counters, base units in the name.
    public static let renamed: [String: String] = [
        "hb.requests": "http_server_requests_total",
        "hb.request.errors": "http_server_request_errors_total",
        "http.server.request.duration": "http_server_request_duration_seconds",
        "http.server.active_requests": "http_server_active_requests",
    ]

    /// Name → HELP text.
    public static let help: [String: String] = [
        // HTTP (Hummingbird's metrics middleware, renamed).
        "http_server_requests_total": "HTTP requests answered, by method, route and status.",
        "http_server_request_errors_total": "HTTP requests that ended in an error thrown by a handler, by method and route.",
        "http_server_request_duration_seconds": "Time from a request's head to its response, by method, route and status.",
        "http_server_active_requests": "HTTP requests being handled now, by method.",
        // JobKit.
        "jobkit_jobs": "Jobs in the table by queue and state (reported by the maintenance leader).",
        "jobkit_queue_oldest_available_age_seconds": "Age of the oldest job waiting to run, by queue (maintenance leader).",
        "jobkit_dlq_size": "Discarded jobs (the dead-letter queue), by queue (maintenance leader).",
        "jobkit_queue_paused": "1 when the queue is paused, else 0 (maintenance leader).",
        "jobkit_jobs_executed_total": "Job attempts finished by this process, by queue, kind and outcome.",
        "jobkit_job_duration_seconds": "Time one job attempt ran, by queue and kind.",
        "jobkit_jobs_fetched_total": "Jobs this process fetched to run, by queue.",
        "jobkit_leader": "1 while this process leads the named leadership, else 0.",
        "jobkit_leader_task_runs_total": "Runs of a leader task by this process, by leadership, task and result.",
        "jobkit_leader_task_duration_seconds": "Time one run of a leader task took, by leadership and task.",
        "jobkit_leader_task_items_total": "Rows a leader task acted on (jobs rescued, staged, pruned; uploads swept), by leadership and task.",
        "jobkit_completer_backlog": "Job outcomes waiting for the batched completer to write them.",
        "jobkit_completer_failures_total": "Batches of job outcomes the completer failed to write (retried).",
        "jobkit_notifier_connected": "1 while the LISTEN connection is up, else 0 (fetches fall back to polling).",
        // Scheduler.
        "scheduler_fire_lag_seconds": "Time from a schedule's fire time to the commit of its job.",
        "scheduler_tick_duration_seconds": "Time one scheduler tick took.",
        "scheduler_runs_total": "Planned fire times by outcome (inserted, skipped) and reason.",
        "scheduler_conflicts_total": "Fire times another replica had already planned (refused by the run ledger).",
        "scheduler_last_success_timestamp_seconds": "Unix time of a schedule's last inserted run, by schedule.",
        "scheduler_period_seconds": "A schedule's period (the gap between its fire times), by schedule.",
        // Pipeline, scanning.
        "filestore_clamav_signatures": "Virus signatures loaded in this process's ClamAV engine.",
        "filestore_clamav_reloads_total": "ClamAV signature reloads, by result.",
        "filestore_scan_verdicts_total": "Scan verdicts (clean, infected, limit_exceeded) and whether the file was quarantined.",
        // Uploads and rate limits (the API).
        "filestore_upload_bytes_total": "Bytes stored by uploads, by kind (direct, tus), once the store acknowledged them.",
        "filestore_rate_limited_total": "Requests refused with 429 by the rate limiter, by endpoint class.",
        // Webhooks and the inbox.
        "filestore_webhook_deliveries_total": "Webhook delivery attempts, by outcome.",
        "filestore_webhook_attempt_duration_seconds": "Time one webhook delivery attempt took.",
        "filestore_webhook_commit_to_delivery_seconds": "Time from an event's commit to its successful delivery.",
        "filestore_webhook_relay_lag_seconds": "Age of the oldest event not yet delivered to an enabled endpoint.",
        "filestore_webhook_pending_deliveries": "Deliveries waiting (first attempt or retry).",
        "filestore_webhook_dead_letters": "Deliveries that exhausted their retries.",
        "filestore_webhook_disabled_endpoints": "Webhook endpoints disabled (410, or failing for too long).",
        // Compliance (the maintenance leader's erasure.stats task).
        "filestore_erasure_requests_open": "Erasure requests received or running, across tenants.",
        "filestore_erasure_requests_due_soon": "Open erasure requests due within 5 days.",
        "filestore_erasure_requests_overdue": "Open erasure requests past their due date (one month after receipt).",
        "filestore_inbox_events_total": "Events received on the inbox, by source and outcome.",
        // Readiness (the maintenance leader's readiness.gauges task, from the latest recorded revalidation).
        "filestore_readiness_level": "The readiness level (0-4, L0-L4) the latest recorded revalidation reached.",
        "filestore_readiness_failing_rows": "Checklist rows that failed in the latest recorded revalidation.",
        "filestore_readiness_open_findings": "Readiness findings open (one per failing row).",
        "filestore_readiness_last_run_timestamp_seconds": "Unix time the latest readiness revalidation finished.",
        // The process.
        "filestore_build_info": "Always 1; the labels name the build (version, Swift version).",
    ]
}
