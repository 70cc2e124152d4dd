import Domain
import FileCore
import Foundation
import Storage
import Testing

/// The download cache's own rules (issue 19): bounded age from the lookup's start, eviction by notification
/// payload, and no stale store after an invalidation that raced the lookup.
@Suite struct FileStateCacheTests {
    static func file(_ state: FileState = .ready, generation: Int = 1) throws -> (FileRecord, StoredBytes, TenantID, PrefixedID) {
        let tenant = try TenantID("acme"), id = PrefixedID(.file)
        let key = try ObjectKey(tenant: tenant, file: id)
        let record = FileRecord(id: id, tenant: tenant, state: state, objectKey: key, originalName: "a.txt", declaredType: nil,
                                contentType: "text/plain", size: 4, sha256: String(repeating: "a", count: 64), urlGeneration: generation,
                                createdAt: Date(), updatedAt: Date())
        return (record, StoredBytes(key: key, contentType: "text/plain", size: 4, sha256: String(repeating: "a", count: 64)), tenant, id)
    }

    @Test func anEntryIsUsedAtMostTheTTLAfterItsLookupStarted() async throws {
        let cache = FileStateCache(configuration: .init(ttl: .milliseconds(200)))
        let (record, bytes, tenant, id) = try Self.file()
        let clock = ContinuousClock(), started = clock.now
        let ticket = cache.ticket()
        try await Task.sleep(for: .milliseconds(120))  // a slow lookup: its age counts from its start
        cache.store(record, bytes, tenant: tenant, id: id, variant: "original", ticket: ticket)
        let hit = cache.lookup(tenant: tenant, id: id, variant: "original")?.0
        // A loaded machine may oversleep past the TTL: then the entry must already be gone.
        if clock.now - started < .milliseconds(190) {
            #expect(hit == record)
        } else {
            #expect(hit == nil)
        }
        #expect(cache.lookup(tenant: tenant, id: id, variant: "thumb") == nil)
        try await Task.sleep(for: .milliseconds(120))  // now past 200 ms from the lookup's start, whatever the load
        #expect(cache.lookup(tenant: tenant, id: id, variant: "original") == nil)
    }

    @Test func aNotificationEvictsEveryVariantOfThatFileOnly() throws {
        let cache = FileStateCache()
        let (a, aBytes, tenant, aID) = try Self.file()
        let (b, bBytes, _, bID) = try Self.file()
        for variant in ["original", "thumb"] {
            cache.store(a, aBytes, tenant: tenant, id: aID, variant: variant, ticket: cache.ticket())
        }
        cache.store(b, bBytes, tenant: tenant, id: bID, variant: "original", ticket: cache.ticket())
        cache.invalidate(payload: "acme/\(aID)")
        #expect(cache.lookup(tenant: tenant, id: aID, variant: "original") == nil)
        #expect(cache.lookup(tenant: tenant, id: aID, variant: "thumb") == nil)
        #expect(cache.lookup(tenant: tenant, id: bID, variant: "original") != nil)
        // Another tenant's file of the same id is another entry.
        cache.invalidate(payload: "other/\(bID)")
        #expect(cache.lookup(tenant: tenant, id: bID, variant: "original") != nil)
        cache.invalidate(payload: "garbage")
        #expect(cache.lookup(tenant: tenant, id: bID, variant: "original") == nil)
    }

    @Test func aLookupThatRacedAnInvalidationIsNotStored() throws {
        let cache = FileStateCache()
        let (record, bytes, tenant, id) = try Self.file()
        let ticket = cache.ticket()
        cache.invalidate(payload: "acme/\(id)")  // the change commits while the lookup reads the old row
        cache.store(record, bytes, tenant: tenant, id: id, variant: "original", ticket: ticket)
        #expect(cache.lookup(tenant: tenant, id: id, variant: "original") == nil)
        cache.invalidateAll()
        let fresh = cache.ticket()
        cache.store(record, bytes, tenant: tenant, id: id, variant: "original", ticket: fresh)
        #expect(cache.lookup(tenant: tenant, id: id, variant: "original") != nil)
    }

    @Test func onlyServableFilesAreKept() throws {
        let cache = FileStateCache()
        for state in FileState.allCases where !state.isServable {
            let (record, bytes, tenant, id) = try Self.file(state)
            cache.store(record, bytes, tenant: tenant, id: id, variant: "original", ticket: cache.ticket())
            #expect(cache.lookup(tenant: tenant, id: id, variant: "original") == nil, "\(state)")
        }
    }
}
