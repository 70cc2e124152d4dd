import Foundation
import Logging
import ServiceLifecycle

/// A stopping process stops. The service group drains in order and cancels what is left at its deadline; should any
/// await then never resume (seen under load with the database gone: every thread idle, the main task suspended for
/// good), this ends the process `limit` after the shutdown began, with status 1 and a critical log line, instead of
/// leaving it hanging. Nothing is lost by it: by then running jobs were put back or are left to the rescuer.
/// Listed last, so the group signals it first; it arms a timer on an OS thread of its own (not the Swift concurrency
/// pool, which may be what is stuck) and returns at once.
struct ShutdownWatchdog: Service {
    var limit: Duration
    var logger: Logger

    func run() async throws {
        // Armed on graceful shutdown, and on cancellation too (a failing service cancels the group).
        try? await gracefulShutdown()
        let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
        let logger = logger
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: seconds)
            logger.critical("the process did not stop within \(seconds) s of the shutdown signal; exiting", metadata: ["exit_status": "1"])
            exit(1)
        }
    }
}
