import Synchronization

/// A coalescing wake-up: any number of `wake()` calls before the waiter looks count as one.
/// This is how notifications, poll ticks and freed slots are debounced into single fetches.
///
/// A waiter that is cancelled gets `false` and leaves the signal as it was: later waits still block until the
/// next `wake()`. (An `AsyncStream` ends for good when a task waiting on it is cancelled, which made every
/// later wait return at once — a busy loop.) Only ``finish()`` ends the signal.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var finished = false
        var nextID: UInt64 = 0
        var waiters: [UInt64: UnsafeContinuation<Bool, Never>] = [:]
        /// Waits begun and not yet answered nor cancelled (a wait cancelled before it parks leaves this set).
        var live: Set<UInt64> = []
    }

    private let state = Mutex(State())

    init() {}

    /// Wakes the waiters, or the next one to come.
    func wake() {
        let waiters = state.withLock { s -> [UnsafeContinuation<Bool, Never>] in
            guard !s.finished else { return [] }
            guard !s.waiters.isEmpty else {
                s.pending = true
                return []
            }
            defer { s.live.subtract(s.waiters.keys); s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: true) }
    }

    /// Ends the signal: every wait, now and later, returns `false`.
    func finish() {
        let waiters = state.withLock { s -> [UnsafeContinuation<Bool, Never>] in
            s.finished = true
            defer { s.live.subtract(s.waiters.keys); s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: false) }
    }

    /// Waits for the next wake-up: `true` when woken, `false` once finished or when the waiting task is cancelled.
    func wait() async -> Bool {
        // Fast path (the common one under load): a wake-up is already pending, or the signal has ended.
        let id = state.withLock { s -> Result<UInt64, Never>? in
            if s.pending {
                s.pending = false
                return nil
            }
            s.nextID += 1
            s.live.insert(s.nextID)
            return .success(s.nextID)
        }
        guard case .success(let id) = id else { return true }
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Bool, Never>) in
                let now = state.withLock { s -> Bool? in
                    guard s.live.contains(id) else { return false } // cancelled before it could park
                    if s.pending || s.finished {
                        s.live.remove(id)
                        defer { s.pending = false }
                        return s.pending
                    }
                    s.waiters[id] = continuation
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> UnsafeContinuation<Bool, Never>? in
                s.live.remove(id)
                return s.waiters.removeValue(forKey: id)
            }
            waiter?.resume(returning: false)
        }
    }
}
