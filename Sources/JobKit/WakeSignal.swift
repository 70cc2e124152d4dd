/// A coalescing wake-up: any number of `wake()` calls before the waiter looks count as one.
/// This is how notifications, poll ticks and freed slots are debounced into single fetches.
struct WakeSignal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func wake() { continuation.yield() }
    func finish() { continuation.finish() }

    /// Waits for the next wake-up; `false` once finished.
    func wait() async -> Bool {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next() != nil
    }
}
