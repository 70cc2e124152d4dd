import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work (file reads, child processes) on NIO's blocking-I/O thread pool, never on the Swift
/// concurrency pool.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}

/// A finished child process: its status and output (stdout and stderr together, trimmed).
struct ToolRun: Sendable {
    var status: Int32
    var output: String

    /// Runs `arguments[0]` with the rest in `directory`, killed after `timeout` seconds. Blocking: call it through
    /// ``offPool(_:)``. Spawned with every signal at its default disposition and none blocked: a service process
    /// ignores SIGTERM (ServiceLifecycle's handlers) and NIO's threads block signals, and a child inheriting that
    /// cannot be stopped by its own children (detect-secrets' worker pool hung forever on `terminate()`).
    static func run(_ arguments: [String], in directory: URL, timeout: Double = 300) throws -> ToolRun {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("readiness-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: out) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        // The shell changes into `directory`, then becomes the tool.
        let command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
        guard spawned == 0 else {
            return ToolRun(status: -1, output: "cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var killed = false
        while waitpid(pid, &status, WNOHANG) == 0 {
            if !killed, Date() > deadline { kill(pid, SIGKILL); killed = true }
            usleep(20_000)
        }
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ToolRun(status: exit, output: (killed ? "killed after \(Int(timeout)) s\n" : "") + text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The last `n` lines of the output, for the evidence.
    func tail(_ n: Int = 3) -> String {
        output.split(separator: "\n").suffix(n).joined(separator: " | ")
    }
}
