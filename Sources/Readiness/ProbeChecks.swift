import AsyncHTTPClient
import Domain
import FileCore
import Foundation
import NIOCore
import Storage

/// The live probes: every registered process's ops endpoints (O1, O2), and a quarantined file refused by the
/// download guard (S5).
enum ProbeChecks {
    /// One GET: status and body (at most 4 MiB).
    static func get(_ env: ReadinessEnvironment, _ url: String) async -> (status: Int, body: String, error: String?) {
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            let response = try await env.http.execute(request, timeout: .milliseconds(Int64(env.configuration.probeTimeout * 1000)))
            let body = try await response.body.collect(upTo: 4 << 20)
            return (Int(response.status.code), String(buffer: body), nil)
        } catch {
            return (0, "", "\(error)")
        }
    }

    /// The processes with a recent heartbeat, and the evidence about the others.
    static func liveProcesses(_ env: ReadinessEnvironment) async throws -> ([ProcessRegistry.Entry], [String]) {
        let all = try await ProcessRegistry(postgres: env.postgres, logger: env.logger).entries()
        let live = all.filter { $0.heartbeatAge <= env.configuration.heartbeatMaxAge }
        var evidence = ["query: SELECT … FROM readiness.processes → \(all.count) registered, \(live.count) with a heartbeat within \(Int(env.configuration.heartbeatMaxAge)) s"]
        for stale in all where stale.heartbeatAge > env.configuration.heartbeatMaxAge {
            evidence.append("stale, not probed: \(stale.command) \(stale.instanceID) on \(stale.host) (last heartbeat \(Int(stale.heartbeatAge)) s ago: crashed or partitioned)")
        }
        return (live, evidence)
    }

    /// O1: `/healthz` and `/readyz` answer 200 on every live process.
    static func health(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let (live, head) = try await liveProcesses(env)
        guard !live.isEmpty else { return CheckOutcome(.fail, head + ["no running process registered: nothing serves /healthz (is any filestore process up?)"]) }
        var evidence = head, bad = false
        for p in live {
            guard let base = p.opsURL else {
                bad = true
                evidence.append("\(p.command) \(p.instanceID): serves no ops endpoints (FILESTORE_OPS_PORT=0): cannot be probed")
                continue
            }
            for path in ["/healthz", "/readyz"] {
                let r = await get(env, base + path)
                let ok = r.status == 200
                bad = bad || !ok
                evidence.append("probe: GET \(base)\(path) (\(p.command)) → \(r.error ?? "\(r.status) \(r.body.trimmingCharacters(in: .whitespacesAndNewlines).prefix(120))")")
            }
        }
        return CheckOutcome(bad ? .fail : .pass, evidence)
    }

    /// O2: `/metrics` answers on every live process with Prometheus text whose every metric has HELP text, and the
    /// metrics it exports are in the code's catalog.
    static func metrics(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let (live, head) = try await liveProcesses(env)
        guard !live.isEmpty else { return CheckOutcome(.fail, head + ["no running process registered: no /metrics to scrape"]) }
        var evidence = head, bad = false
        let known = env.configuration.knownMetrics
        for p in live {
            guard let base = p.opsURL else { bad = true; evidence.append("\(p.command) \(p.instanceID): no ops endpoints"); continue }
            let r = await get(env, base + "/metrics")
            guard r.status == 200 else { bad = true; evidence.append("probe: GET \(base)/metrics → \(r.error ?? "\(r.status)")"); continue }
            let lines = r.body.split(separator: "\n")
            let types = Set(lines.filter { $0.hasPrefix("# TYPE ") }.compactMap { $0.split(separator: " ").dropFirst(2).first.map(String.init) })
            let helps = Set(lines.filter { $0.hasPrefix("# HELP ") }.compactMap { $0.split(separator: " ").dropFirst(2).first.map(String.init) })
            let withoutHelp = types.subtracting(helps).sorted()
            let unknown = known.isEmpty ? [] : types.subtracting(known).sorted()
            if !withoutHelp.isEmpty { bad = true }
            if !unknown.isEmpty { bad = true }
            evidence.append("probe: GET \(base)/metrics (\(p.command)) → 200, \(types.count) metrics"
                + (withoutHelp.isEmpty ? "" : "; without HELP: \(withoutHelp.joined(separator: ", "))")
                + (unknown.isEmpty ? "" : "; not in the catalog (docs/OBSERVABILITY.md): \(unknown.joined(separator: ", "))"))
        }
        return CheckOutcome(bad ? .fail : .pass, evidence)
    }

    /// S5 (probe): a quarantined file of the operations tenant is refused by the one download guard
    /// (`Downloads.openForDownload`, which signed URLs and bearer downloads both go through), on the live database.
    static func quarantine(_ env: ReadinessEnvironment) async throws -> CheckOutcome {
        let tenant = try TenantID(env.configuration.operationsTenant)
        let database = TenantDatabase(postgres: env.postgres, logger: env.logger)
        let id = try await database.transaction(tenant) { tx in
            try await TenantRepository(logger: env.logger).ensureTenant(tenant, on: tx)
            return try await ReadinessRepository(logger: env.logger).ensureQuarantinedProbe(tenant: tenant.value, newID: PrefixedID(.file).description, on: tx)
        }
        guard let fileID = PrefixedID(parsing: id, as: .file) else { return .fail("probe file id \(id) does not parse") }
        let core = FileCore(database: database, blobs: env.blobs)
        let probe = "probe: Downloads.openForDownload(tenant \(tenant), \(fileID), original) on the quarantined probe file"
        var outcomes: [CheckOutcome] = []
        do {
            _ = try await core.downloads.openForDownload(tenant: tenant, id: fileID, variant: "original", generation: nil)
            outcomes.append(.fail(probe + " → served: a quarantined file can be downloaded"))
        } catch let error as FileError where error.code == .notServable {
            outcomes.append(.pass(probe + " → refused: \(error.code.qualified)"))
        } catch {
            outcomes.append(.fail(probe + " → \(error), not the quarantine refusal"))
        }
        outcomes.append(try await quarantineOverHTTP(env, tenant: tenant, fileID: fileID))
        return .combined(outcomes)
    }

    /// The same file asked of every live API process (`serve`, `dev`) over HTTP, with a bearer token: 409
    /// `NOT_SERVABLE` expected.
    static func quarantineOverHTTP(_ env: ReadinessEnvironment, tenant: TenantID, fileID: PrefixedID) async throws -> CheckOutcome {
        guard let mint = env.configuration.probeToken else {
            return .notApplicable("no JWT keys in this process: the API was not probed over HTTP (the guard above is the one its download routes call)")
        }
        let (live, _) = try await liveProcesses(env)
        let apis = live.filter { ["serve", "dev"].contains($0.command) && $0.opsURL != nil }
        guard !apis.isEmpty else { return .notApplicable("no API process (serve, dev) registered: the API was not probed over HTTP") }
        let token = try await mint(tenant.value)
        var outcomes: [CheckOutcome] = []
        for p in apis {
            let url = "\(p.opsURL!)/v1/files/\(fileID)/content"
            do {
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.headers.add(name: "X-Tenant-Id", value: tenant.value)
                let response = try await env.http.execute(request, timeout: .milliseconds(Int64(env.configuration.probeTimeout * 1000)))
                let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                let refused = response.status.code == 409 && body.contains(FileError.Code.notServable.qualified)
                let line = "probe: GET \(url) (\(p.command)) → \(response.status.code) \(body.prefix(160))"
                outcomes.append(refused ? .pass(line) : .fail(line + " — expected 409 \(FileError.Code.notServable.qualified)"))
            } catch {
                outcomes.append(.fail("probe: GET \(url) (\(p.command)) → \(error)"))
            }
        }
        return .combined(outcomes)
    }
}
