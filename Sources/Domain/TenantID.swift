/// A tenant's identifier: 1-64 of `a-z 0-9 _ -`, starting with a letter or digit. Validated once, so
/// it can be spliced into object keys and settings safely.
public struct TenantID: Sendable, Hashable, Codable, CustomStringConvertible {
    public let value: String

    public init(_ value: String) throws {
        let bytes = Array(value.utf8)
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || (!first && (b == 95 || b == 45))
        }
        guard (1...64).contains(bytes.count), bytes.enumerated().allSatisfy({ ok($0.element, first: $0.offset == 0) }) else {
            throw FileError(.invalidTenant, "tenant id must be 1-64 of a-z 0-9 _ - starting with a letter or digit")
        }
        self.value = value
    }

    public var description: String { value }
}
