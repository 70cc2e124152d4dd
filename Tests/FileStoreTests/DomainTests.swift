import API
import Domain
import Foundation
import Testing

@Suite struct PrefixedIDTests {
    @Test func idsCarryTheirPrefixAndParseBack() throws {
        for kind in IDKind.allCases {
            let id = PrefixedID(kind)
            #expect(id.description.hasPrefix(kind.rawValue + "_"))
            #expect(id.body.count == 26)
            #expect(PrefixedID(parsing: id.description, as: kind) == id)
        }
    }

    @Test func idsSortByCreationTimeAndEncodeIt() {
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        let a = PrefixedID(.file, now: t0), b = PrefixedID(.file, now: t0.addingTimeInterval(0.002))
        #expect(a < b)
        #expect(abs(a.timestamp.timeIntervalSince(t0)) < 0.001)
    }

    @Test func idsAreUnguessable() {
        let t = Date()
        let ids = Set((0..<2000).map { _ in PrefixedID(.file, now: t).body })
        #expect(ids.count == 2000) // 80 random bits per id, even within one millisecond
    }

    @Test(arguments: ["upl_01ARZ3NDEKTSV4RRFFQ69G5FAV", "med_01ARZ3NDEKTSV4RRFFQ69G5FA", "med_01ARZ3NDEKTSV4RRFFQ69G5FAI",
                      "med_81ARZ3NDEKTSV4RRFFQ69G5FAV", "med_../../etc/passwd", "", "med_"])
    func malformedFileIDsAreRefused(_ text: String) {
        #expect(PrefixedID(parsing: text, as: .file) == nil)
    }
}

@Suite struct FileLifecycleTests {
    /// Every (state, event) pair: allowed ones lead where the table says, all others are refused.
    @Test(arguments: FileState.allCases)
    func everyTransitionFrom(_ state: FileState) throws {
        for event in FileEvent.allCases {
            if let expected = FileLifecycle.transitions[state]?[event] {
                #expect(try FileLifecycle.next(from: state, on: event) == expected)
            } else {
                let error = #expect(throws: FileError.self) { try FileLifecycle.next(from: state, on: event) }
                #expect(error?.code == .illegalTransition)
                #expect(error.map { FileErrorStatus.status(of: $0.code) } == 409)
            }
        }
    }

    @Test func theHappyPathAndItsExits() throws {
        var s = FileState.pending
        for e: FileEvent in [.uploaded, .scanStarted, .scannedClean, .processingStarted, .processed] {
            s = try FileLifecycle.next(from: s, on: e)
        }
        #expect(s == .ready)
        #expect(try FileLifecycle.next(from: .scanning, on: .scannedInfected) == .quarantined)
        #expect(try FileLifecycle.next(from: .quarantined, on: .released) == .clean)
        #expect(try FileLifecycle.next(from: .deleted, on: .erased) == .erased)
        #expect(throws: FileError.self) { try FileLifecycle.next(from: .quarantined, on: .processed) }
        #expect(throws: FileError.self) { try FileLifecycle.next(from: .erased, on: .deleted) }
    }

    @Test func onlyReadyFilesAreServable() {
        #expect(FileState.allCases.filter(\.isServable) == [.ready])
    }
}

@Suite struct ObjectKeyTests {
    @Test func keysAlwaysLiveUnderTheTenantPrefix() throws {
        let tenant = try TenantID("acme")
        let file = PrefixedID(.file)
        let key = try ObjectKey(tenant: tenant, file: file)
        #expect(key.path == "tenants/acme/files/\(file)/original")
        #expect(try ObjectKey(parsing: key.path) == key)
        #expect(try ObjectKey(tenant: tenant, file: file, name: "thumb").path.hasSuffix("/thumb"))
        #expect(key.folder == "tenants/acme/files/\(file)/")
        #expect(try ObjectKey(tenant: tenant, file: file, name: "thumb").folder == key.folder)
    }

    @Test(arguments: ["tenants/acme/files/x/original", "tenants/../files/med_01ARZ3NDEKTSV4RRFFQ69G5FAV/original",
                      "/etc/passwd", "tenants/acme/files/med_01ARZ3NDEKTSV4RRFFQ69G5FAV/../../other",
                      "tenants/acme/files/med_01ARZ3NDEKTSV4RRFFQ69G5FAV/original/extra", "tenants/Acme/files/med_01ARZ3NDEKTSV4RRFFQ69G5FAV/original"])
    func anythingElseIsRefused(_ text: String) {
        #expect(throws: FileError.self) { try ObjectKey(parsing: text) }
    }

    @Test func clientNamesNeverBecomePathSegments() throws {
        #expect(throws: FileError.self) { try ObjectKey(tenant: TenantID("acme"), file: PrefixedID(.file), name: "../../x") }
        #expect(throws: FileError.self) { try ObjectKey(tenant: TenantID("acme"), file: PrefixedID(.upload)) }
        #expect(throws: FileError.self) { try TenantID("../acme") }
        #expect(throws: FileError.self) { try TenantID("") }
    }
}

@Suite struct ErrorCodeTests {
    /// docs/ERROR_CODES.md lists exactly the codes the code defines, each with the status the API maps it to.
    @Test func theErrorCodeDocumentMatchesTheCode() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let doc = try String(contentsOf: root.appendingPathComponent("docs/ERROR_CODES.md"), encoding: .utf8)
        let documented = Set(doc.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `MELMASTOON.FILE.") else { return nil }
            return line.split(separator: "`")[1].description
        })
        #expect(documented == Set(FileError.Code.all.map(\.qualified)))
        // The API's one table maps every code, and nothing else.
        #expect(Set(FileErrorStatus.statuses.keys) == Set(FileError.Code.all))
        for code in FileError.Code.all {
            let status = FileErrorStatus.status(of: code)
            #expect(doc.contains("| `\(code.qualified)` | \(status) |"), "\(code.qualified) documented with status \(status)")
        }
    }
}

@Suite struct HexAndDeclaredTypeTests {
    @Test func hexIsLowerCaseTwoDigitsPerByte() {
        #expect([UInt8]().hexString == "")
        #expect(([0x00, 0x0A, 0xFF, 0x7F] as [UInt8]).hexString == "000aff7f")
        #expect(Array(0...255 as ClosedRange<UInt8>).hexString == (0...255).map { String(format: "%02x", $0) }.joined())
    }

    @Test func theFormTypeDeclaresNothingAndOtherTypesAreKept() {
        #expect(ContentTypes.declared(nil) == nil)
        #expect(ContentTypes.declared("application/x-www-form-urlencoded") == nil)
        #expect(ContentTypes.declared("Application/X-WWW-Form-Urlencoded; charset=utf-8") == nil)
        #expect(ContentTypes.declared("image/png") == "image/png")
        #expect(ContentTypes.declared("") == "")
    }
}
