/// The life cycle of a stored file.
///
/// ```
/// pending ─uploaded─▶ uploaded ─scanStarted─▶ scanning ─scannedClean─▶ clean ─processingStarted─▶ processing ─processed─▶ ready
///                                                │                                                  │
///                                                └─scannedInfected─▶ quarantined ─released─▶ clean   └─processingFailed─▶ failed
/// any live state ─deleted─▶ deleted ─erased─▶ erased          (failed, quarantined included)
/// ```
/// Only `ready` files are ever served (see ``FileState/isServable``).
public enum FileState: String, Sendable, CaseIterable, Codable, Hashable {
    case pending, uploaded, scanning, clean, processing, ready
    case quarantined, failed, deleted, erased

    /// Whether bytes of a file in this state may leave the service. Only `ready`: a file that is not yet
    /// scanned clean, or is quarantined, is never served, whatever URL is presented.
    public var isServable: Bool { self == .ready }
}

/// What happens to a file.
public enum FileEvent: String, Sendable, CaseIterable, Codable, Hashable {
    case uploaded, scanStarted, scannedClean, scannedInfected, released
    case processingStarted, processed, processingFailed, deleted, erased
}

/// The one guard of the file life cycle: every state change goes through ``next(from:on:)``.
public enum FileLifecycle {
    /// The allowed transitions, as a table (tested cell by cell).
    public static let transitions: [FileState: [FileEvent: FileState]] = [
        .pending: [.uploaded: .uploaded, .deleted: .deleted],
        .uploaded: [.scanStarted: .scanning, .deleted: .deleted],
        // A scan that was interrupted may start again.
        .scanning: [.scanStarted: .scanning, .scannedClean: .clean, .scannedInfected: .quarantined, .deleted: .deleted],
        .clean: [.processingStarted: .processing, .deleted: .deleted],
        .processing: [.processingStarted: .processing, .processed: .ready, .processingFailed: .failed, .deleted: .deleted],
        .ready: [.deleted: .deleted],
        .quarantined: [.released: .clean, .deleted: .deleted],
        .failed: [.processingStarted: .processing, .deleted: .deleted],
        .deleted: [.erased: .erased],
        .erased: [:],
    ]

    /// The state after `event`, or ``FileError`` `ILLEGAL_TRANSITION`.
    public static func next(from state: FileState, on event: FileEvent) throws -> FileState {
        guard let next = transitions[state]?[event] else {
            throw FileError(.illegalTransition, "a \(state.rawValue) file cannot be \(event.rawValue)")
        }
        return next
    }
}
