#if os(Linux)
/// glibc's `int mallopt(int param, int value)` (`<malloc.h>`, which the Glibc module does not export).
@_silgen_name("mallopt")
private func glibcMallopt(_ param: Int32, _ value: Int32) -> Int32
/// `M_MMAP_THRESHOLD` of `<malloc.h>`.
private let mmapThresholdParameter: Int32 = -3
#endif

/// How the process's allocator is set before anything allocates much. glibc raises its mmap threshold dynamically
/// (up to 32 MiB) once a large block is freed; after that the S3 store's part buffers (16 MiB) come from malloc arenas,
/// which keep what is freed, one arena per thread that allocated: `filestore serve` peaked at 177 MiB RSS during a
/// 1 GiB upload to S3, and at 113 MiB with the threshold held at 1 MiB (scripts/bench-s3.sh, docs/STORAGE.md). Held
/// there, every large buffer is its own mapping, returned to the system when freed. The `filestore` binary applies it
/// first thing in `main`; a test that measures memory applies it too.
public enum MemoryTuning {
    /// Blocks of at least this many bytes are mapped on their own. Default: 1 MiB.
    public static let mmapThreshold: Int32 = 1 << 20

    /// Holds the threshold (process-wide, idempotent).
    public static func apply() {
        #if os(Linux)
        _ = glibcMallopt(mmapThresholdParameter, mmapThreshold)
        #endif
    }
}
