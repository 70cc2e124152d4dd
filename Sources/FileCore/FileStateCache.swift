import Domain
import Foundation
import Storage
import Synchronization

/// What the download guard looked up for a servable file (its state, URL generation, the bytes to serve),
/// kept for a short time so that a hot file is not read from the database on every download.
///
/// The rules stay as strict as without it: a revoked URL, a deleted or quarantined file is refused within one
/// second on every API replica. Two mechanisms, either enough on its own:
/// - invalidation: a trigger on `files` and `file_variants` (migration 0009) notifies ``channel`` with
///   `tenant/file` on every change of state, generation or served bytes; each replica's LISTEN connection
///   evicts the entry as soon as it arrives (and evicts everything when that connection is re-established,
///   since what was sent meanwhile is lost);
/// - a bounded age: an entry is used at most ``Configuration/ttl`` after the lookup that produced it *started*
///   (default 500 ms), so a lost notification costs at most that.
///
/// A lookup racing an invalidation cannot store what it read before it: each invalidation bumps an epoch,
/// and an entry is stored only if the epoch did not move while it was read. Only servable files are kept.
public final class FileStateCache: Sendable {
    /// The notification channel of migration 0009's triggers; payload `tenant/file`.
    public static let channel = "filestore_file_changed"

    public struct Configuration: Sendable {
        /// Longest an entry is used after its lookup started. Default: 500 ms (below the 1 s rule).
        public var ttl: Duration
        /// Most entries kept; past it the cache is emptied (hot files come back at once). Default: 10,000.
        public var capacity: Int
        public init(ttl: Duration = .milliseconds(500), capacity: Int = 10_000) {
            self.ttl = ttl
            self.capacity = capacity
        }
    }

    struct Key: Hashable {
        var tenant: String
        var file: String
    }

    struct Entry {
        var file: FileRecord
        var bytes: StoredBytes
        var expires: ContinuousClock.Instant
    }

    struct State {
        /// By file, then by variant name.
        var entries: [Key: [String: Entry]] = [:]
        var epoch = 0
    }

    public let configuration: Configuration
    private let state = Mutex(State())

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// A ticket for ``store(_:_:tenant:id:variant:ticket:)``: the epoch and time at which a lookup started.
    public struct Ticket: Sendable {
        let epoch: Int
        let started: ContinuousClock.Instant
    }

    /// Call before reading the database.
    public func ticket() -> Ticket {
        Ticket(epoch: state.withLock { $0.epoch }, started: .now)
    }

    /// The entry of `tenant`/`id`/`variant` if it is still fresh.
    public func lookup(tenant: TenantID, id: PrefixedID, variant: String) -> (FileRecord, StoredBytes)? {
        let key = Key(tenant: tenant.value, file: id.description)
        let now = ContinuousClock.now
        return state.withLock { (s: inout State) -> (FileRecord, StoredBytes)? in
            guard let entry = s.entries[key]?[variant] else { return nil }
            guard entry.expires > now else {
                s.entries[key]?[variant] = nil
                return nil
            }
            return (entry.file, entry.bytes)
        }
    }

    /// Keeps what a lookup started at `ticket` found, unless an invalidation came in meanwhile or the file is
    /// not servable.
    public func store(_ file: FileRecord, _ bytes: StoredBytes, tenant: TenantID, id: PrefixedID, variant: String, ticket: Ticket) {
        guard file.state.isServable else { return }
        let key = Key(tenant: tenant.value, file: id.description)
        let expires = ticket.started + configuration.ttl
        state.withLock { s in
            guard s.epoch == ticket.epoch else { return }
            if s.entries.count >= configuration.capacity { s.entries.removeAll(keepingCapacity: true) }
            s.entries[key, default: [:]][variant] = Entry(file: file, bytes: bytes, expires: expires)
        }
    }

    /// Evicts every variant of one file (a notification's payload `tenant/file`); a payload that names no file
    /// evicts everything.
    public func invalidate(payload: String) {
        let parts = payload.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return invalidateAll() }
        state.withLock { s in
            s.epoch &+= 1
            s.entries[Key(tenant: parts[0], file: parts[1])] = nil
        }
    }

    /// Evicts everything (the LISTEN connection was re-established: notifications may have been lost).
    public func invalidateAll() {
        state.withLock { s in
            s.epoch &+= 1
            s.entries.removeAll(keepingCapacity: true)
        }
    }

    /// How many files have entries (fresh or not yet dropped).
    public var count: Int { state.withLock { $0.entries.count } }
}
