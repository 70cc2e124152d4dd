import Foundation

/// One row of the checklist (`SERVICE_READINESS.txt` §2–§13, §16, §17): its id and title as the checklist names
/// them, the level from which it is required, and how it is evaluated — by the machine, or by a person whose
/// evidence lives in the named document.
public struct ChecklistRow: Sendable {
    public enum Evaluation: Sendable {
        case automatic(@Sendable (ReadinessEnvironment) async throws -> CheckOutcome)
        case manual(document: String)
    }

    public var id: String
    public var title: String
    public var section: String
    public var level: ReadinessLevel
    public var evaluation: Evaluation

    static func auto(_ id: String, _ title: String, _ section: String, _ level: ReadinessLevel,
                     _ check: @escaping @Sendable (ReadinessEnvironment) async throws -> CheckOutcome) -> ChecklistRow {
        ChecklistRow(id: id, title: title, section: section, level: level, evaluation: .automatic(check))
    }

    /// A row read from files: evaluated off the concurrency pool.
    static func files(_ id: String, _ title: String, _ section: String, _ level: ReadinessLevel,
                      _ check: @escaping @Sendable (ReadinessEnvironment) throws -> CheckOutcome) -> ChecklistRow {
        auto(id, title, section, level) { env in try await offPool { try check(env) } }
    }

    static func manual(_ id: String, _ title: String, _ section: String, _ level: ReadinessLevel, _ document: String) -> ChecklistRow {
        ChecklistRow(id: id, title: title, section: section, level: level, evaluation: .manual(document: document))
    }
}

/// The checklist's rows, in its order.
public enum Checklist {
    public static let rows: [ChecklistRow] = [
        // §2 Domain
        .files("D1", "Bounded context documented", "domain", .l1) { RepositoryChecks.files($0, ["docs/ARCHITECTURE.md", "docs/DOMAIN_MODEL.md"]) },
        .manual("D2", "Aggregates and invariants enumerated", "domain", .l2, "docs/DOMAIN_MODEL.md (reviewed against the invariant guards in Sources/Domain)"),
        .files("D3", "Domain errors mapped to platform error codes", "domain", .l1, RepositoryChecks.errorCodes),
        .auto("D4", "Tenant prefix invariant tested", "domain", .l1, DataChecks.tenantPrefix),
        .files("D5", "Domain events versioned and registered", "domain", .l1, RepositoryChecks.eventRegistry),
        // §3 API
        .files("A1", "OpenAPI committed and lint-clean", "api", .l1) { RepositoryChecks.files($0, ["openapi/v1.yaml"]) },
        .manual("A2", "All endpoints implemented", "api", .l2, "the CI coverage report (.data/coverage/summary.tsv of scripts/test.sh)"),
        .manual("A3", "Idempotency middleware applied", "api", .l2, "CI run of IdempotencyTests"),
        .manual("A4", "Tenant header enforced", "api", .l2, "CI run of TenantIsolationTests"),
        .manual("A5", "Pact contracts published for downstream consumers", "api", .l3, "the consumers' contract files (docs/API_CONTRACTS.md names them)"),
        .manual("A6", "Error responses follow MELMASTOON.<DOMAIN>.<CODE>", "api", .l2, "CI run of AttackSuiteTests and SecuritySchemathesisTests"),
        .manual("A7", "Rate limit configuration documented", "api", .l2, "docs/API_CONTRACTS.md rate-limit table, reviewed"),
        .manual("A8", "Auth scopes and roles documented", "api", .l2, "docs/API_CONTRACTS.md and docs/SECURITY.md, reviewed"),
        // §4 Events
        .auto("E1", "Outbox + relay deployed", "events", .l2, OperationsChecks.relay),
        .manual("E2", "Inbox + dedupe verified", "events", .l2, "CI run of InboxTests and WebhookRelayTests"),
        .files("E3", "Event JSON Schemas committed", "events", .l1, RepositoryChecks.eventSchemas),
        .manual("E4", "Schema-compat CI gate", "events", .l2, "CI run of EventRegistryTests.everySchemaIsCompatibleWithItsLastVersionOnMain"),
        .manual("E5", "DLQ subscriptions present", "events", .l3, "docs/EVENTS.md (per-endpoint dead letters), reviewed"),
        .manual("E6", "Consumer expectations documented", "events", .l3, "docs/EVENTS.md, reviewed"),
        .manual("E7", "Consumed events handled idempotently", "events", .l2, "CI run of InboxTests"),
        // §5 Data
        .auto("DA1", "DDL committed under migrations/", "data", .l1, DataChecks.migrations),
        .auto("DA2", "RLS enabled and forced on all tenant tables", "data", .l1, DataChecks.rowLevelSecurity),
        .auto("DA3", "ID prefix conventions enforced via CHECK", "data", .l1, DataChecks.idPrefixes),
        .auto("DA4", "Indexes for hot queries present", "data", .l2, DataChecks.hotQueryIndexes),
        .auto("DA5", "Backups and PITR configured", "data", .l2, DataChecks.backups),
        .manual("DA6", "BigQuery export wired", "data", .l3, "the audit export's freshness dashboard (docs/COMPLIANCE.md)"),
        .manual("DA7", "CMEK applied to private bucket", "data", .l3, "docs/SECURITY.md encryption at rest, with the operator's key evidence"),
        // §6 Security
        .files("S1", "Secrets in Secret Manager only", "security", .l1, RepositoryChecks.secrets),
        .manual("S2", "mTLS enforced for service-to-service", "security", .l3, "docs/SECURITY.md (FILESTORE_TLS_*), the deployment's mesh policy"),
        .manual("S3", "Per-tenant prefix invariant has 3 layers", "security", .l2, "docs/DOMAIN_MODEL.md, code review (ObjectKey, CHECK, blob store)"),
        .auto("S4", "Signed URLs scoped + revocable", "security", .l2) { env in try await offPool { try OperationsChecks.signingKeys(env) } },
        .auto("S5", "Quarantined files cannot be downloaded", "security", .l1) { env in
            let probe = try await ProbeChecks.quarantine(env)
            let signatures = try await offPool { try OperationsChecks.signatures(env) }
            return .combined([probe, signatures])
        },
        .manual("S6", "DSR / GDPR erasure E2E test", "security", .l2, "CI run of ErasureProofTests"),
        .manual("S7", "Security bounty hunter scan run", "security", .l3, "the release's scan report"),
        .manual("S8", "Dependency scan clean (no high CVEs)", "security", .l3, "the release's dependency scan report"),
        .manual("S9", "Threat model reviewed by security-reviewer", "security", .l3, "docs/SECURITY.md threat model, with the reviewer's sign-off (§14)"),
        .manual("S10", "EXIF scrub verified", "security", .l2, "CI run of PipelineProofTests and CameraPhotoTests"),
        // §7 Observability
        .auto("O1", "/healthz and /readyz implemented", "observability", .l1, ProbeChecks.health),
        .auto("O2", "/metrics exposes documented Prometheus metrics", "observability", .l2, ProbeChecks.metrics),
        .manual("O3", "OpenTelemetry traces emitted with required attributes", "observability", .l3, "a trace example in docs/OBSERVABILITY.md (tracing is not built yet)"),
        .manual("O4", "Structured logs with required fields", "observability", .l2, "a sample log line against docs/OBSERVABILITY.md's log schema"),
        .files("O5", "Dashboards published in Grafana", "observability", .l3, RepositoryChecks.dashboards),
        .files("O6", "SLOs published and alert rules deployed", "observability", .l2, RepositoryChecks.alerts),
        .manual("O7", "PagerDuty rotation configured", "observability", .l2, "the on-call schedule named in docs/DEPLOYMENT.md"),
        .manual("O8", "Audit logs export to BigQuery", "observability", .l3, "a sample query of the audit export (docs/COMPLIANCE.md)"),
        // §8 Failure handling
        .files("F1", "Failure modes catalog complete", "failure handling", .l2, RepositoryChecks.failureCatalog),
        .files("F2", "Each failure has a runbook URL", "failure handling", .l2, RepositoryChecks.runbookLinks),
        .manual("F3", "Compensating actions for sagas implemented", "failure handling", .l2, "docs/PIPELINE.md and docs/COMPLIANCE.md, code review"),
        .auto("F4", "DLQ alerts wired", "failure handling", .l2) { env in
            let wired = try await offPool { RepositoryChecks.deadLetterAlert(env) }
            return .combined([wired, try await OperationsChecks.deadLetters(env)])
        },
        .manual("F5", "Game day drill executed (region failover)", "failure handling", .l3, "the drill report (runbooks/, §15)"),
        .manual("F6", "Quarantine override flow exercised", "failure handling", .l2, "runbooks/scan-failures.md run-through"),
        .manual("F7", "Erasure failure path exercised", "failure handling", .l2, "runbooks/dsr-erasure.md replay report"),
        // §9 Sync (desktop)
        .manual("SY1", "SYNC_CONTRACT exists and matches code", "sync", .l3, "the desktop client's SYNC_CONTRACT.md (not in this repository)"),
        .manual("SY2", "Read-through cache TTL behavior verified", "sync", .l3, "the desktop client's integration tests"),
        .manual("SY3", "Offline outbox queue tested", "sync", .l3, "the desktop client's low-bandwidth e2e"),
        .manual("SY4", "Resumable upload survives reconnect", "sync", .l3, "CI run of TuspyTests; the desktop client's chaos test"),
        .manual("SY5", "Renderer never bypasses BFF auth", "sync", .l3, "the desktop client's code review"),
        // §10 Testing
        .manual("T1", "Unit coverage ≥ 85% lines / 85% branches in domain", "testing", .l2, ".data/coverage/summary.tsv of scripts/test.sh"),
        .manual("T2", "Integration tests cover all use cases", "testing", .l2, ".data/coverage/ of scripts/test.sh"),
        .manual("T3", "Mandatory tests present: tenant-isolation, outbox, inbox", "testing", .l2, "CI run of TenantIsolationTests, WebhookRelayTests, InboxTests"),
        .manual("T4", "Pact contracts in CI for all consumers", "testing", .l3, "the consumers' contract runs"),
        .manual("T5", "E2E happy path covers upload→scan→optimize→download", "testing", .l2, "CI run of PipelineRealWorldTests"),
        .files("T6", "Performance baseline collected", "testing", .l3) { RepositoryChecks.files($0, ["perf/baseline.json"]) },
        .manual("T7", "Chaos test executed (region brownout)", "testing", .l3, "the chaos report"),
        // §11 Deployment
        .files("DE1", "IaC committed", "deployment", .l3) { RepositoryChecks.files($0, ["infra/k8s", "infra/systemd"]) },
        .manual("DE2", "Pipelines pass on develop and main", "deployment", .l2, "the CI dashboard (.ci/run)"),
        .manual("DE3", "Image SBOM generated and signed", "deployment", .l3, "the release's provenance attestation"),
        .manual("DE4", "Canary + auto-rollback enabled", "deployment", .l3, "docs/DEPLOYMENT.md, the deployment's config"),
        .manual("DE5", "Blue/green capable for major changes", "deployment", .l3, "docs/DEPLOYMENT.md"),
        .manual("DE6", "Resource budgets set (CPU/memory limits)", "deployment", .l3, "infra/k8s resources, checked by scripts/check-infra.sh"),
        .manual("DE7", "Network policies / VPC SC enforced", "deployment", .l3, "infra/k8s/50-network.yaml as applied"),
        // §12 Compliance
        .manual("CO1", "DPA template covers blob storage in EU", "compliance", .l3, "the DPA appendix (legal)"),
        .manual("CO2", "DPIA performed for pii_id_scan scope", "compliance", .l3, "the DPIA document with the DPO's sign-off"),
        .files("CO3", "GDPR DSR runbook exists", "compliance", .l3) { RepositoryChecks.files($0, ["runbooks/dsr-erasure.md"]) },
        .manual("CO4", "Audit log retention 7 y enforced", "compliance", .l3, "docs/COMPLIANCE.md retention classes, a dump of retention_classes"),
        .manual("CO5", "Tax invoice retention 10 y enforced", "compliance", .l3, "docs/COMPLIANCE.md retention classes, a dump of retention_classes"),
        .manual("CO6", "Data residency stated and enforced", "compliance", .l3, "docs/COMPLIANCE.md residency and the FILESTORE_BLOB_REGIONS config"),
        // §13 Documentation
        .manual("DC1", "All service docs committed and current", "documentation", .l3, "docs/, reviewed"),
        .manual("DC2", "Top-level summary exists", "documentation", .l3, "README.md and docs/ARCHITECTURE.md, reviewed"),
        .files("DC3", "Runbooks linked from FAILURE_MODES exist", "documentation", .l2, RepositoryChecks.runbooks),
        .manual("DC4", "API consumer onboarding guide exists", "documentation", .l3, "docs/API_CONTRACTS.md with examples"),
        .manual("DC5", "ADRs reference file-storage where applicable", "documentation", .l3, "docs/adr/"),
        // §16 Recovery posture, §17 Continuous readiness
        .manual("§16", "Recovery posture: RTO 30 min, RPO ≤ 5 min, weekly restore drill", "recovery", .l2, "the restore drill report in docs/DEPLOYMENT.md (backups: DA5)"),
        .auto("§17", "Continuous readiness: quarterly revalidation scheduled and the scheduler healthy", "continuous readiness", .l2, OperationsChecks.scheduler),
    ]
}
