import Foundation
import NIOCore
import ServiceLifecycle

/// Runs an HTTP listener (the file API, a worker's ops endpoints) and turns "address already in use" into a
/// message that names the address, the flag and the setting that choose another — the process then exits
/// non-zero with it, as it does for any service that fails.
struct ListenerService: Service {
    /// The listener (a Hummingbird `Application`).
    var listener: any Service
    var host: String
    var port: Int
    /// The flag and the variable that set the port (`--http-port`, `FILESTORE_OPS_PORT`).
    var flag: String
    var setting: String
    /// What else the operator may do (`0 disables the ops endpoints`), or empty.
    var hint: String = ""

    func run() async throws {
        do {
            try await listener.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw CLIError(Self.inUseMessage(host: host, port: port, flag: flag, setting: setting, hint: hint))
        }
    }

    static func inUseMessage(host: String, port: Int, flag: String, setting: String, hint: String) -> String {
        "port \(port) on \(host) is already in use (another filestore process on this host?): choose another port with "
            + "\(flag) <port> or \(setting)=<port>" + (hint.isEmpty ? "" : "; \(hint)")
    }
}
