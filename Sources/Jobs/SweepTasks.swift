/// The two sweep leader tasks, built together by ``JobKit/JobRegistry/registerSweeps(postgres:system:blobs:logger:configuration:)``.
public struct SweepTasks: Sendable {
    /// Fans out `uploads.sweep` jobs.
    public let uploads: UploadSweepTask
    /// Fans out `idempotency_keys.sweep` jobs.
    public let idempotencyKeys: IdempotencySweepTask
}
