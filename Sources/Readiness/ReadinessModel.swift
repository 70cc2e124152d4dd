import Foundation

/// The readiness levels of the checklist's §1: L0 dev … L4 mature.
public enum ReadinessLevel: Int, Sendable, Codable, Comparable, CaseIterable, CustomStringConvertible {
    case l0 = 0, l1, l2, l3, l4

    /// Encoded as `"L2"`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let level = ReadinessLevel(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a level: \(text)"))
        }
        self = level
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "L\(rawValue)" }

    /// What §1 says the level is for.
    public var audience: String {
        switch self {
        case .l0: "Dev: engineers, integration tests"
        case .l1: "Staging: internal demo, QA"
        case .l2: "Pilot: first paying tenants, on-call 24×5"
        case .l3: "GA: all tenants, on-call 24×7"
        case .l4: "Mature: regulated workloads, DR drills"
        }
    }

    /// `L2`, `l3`, `2` → the level.
    public init?(parsing text: String) {
        let digits = text.uppercased().hasPrefix("L") ? String(text.dropFirst()) : text
        guard let n = Int(digits), let level = ReadinessLevel(rawValue: n) else { return nil }
        self = level
    }
}

/// The outcome of one checklist row.
public enum RowStatus: String, Sendable, Codable, CaseIterable {
    /// Every automatic check of the row held.
    case pass
    /// At least one check did not hold; the evidence says which and why.
    case fail
    /// The row needs a person (a sign-off, a review, a drill); the evidence names the document that holds it.
    case manual
    /// The row's subject does not exist in this deployment (e.g. no WAL archiving configured); the evidence says why.
    case notApplicable = "not_applicable"
}

/// One check's answer: whether it held, and what was asked and answered (the query, the file, the probe).
public struct CheckOutcome: Sendable, Hashable {
    public var status: RowStatus
    public var evidence: [String]

    public init(_ status: RowStatus, _ evidence: [String]) {
        self.status = status
        self.evidence = evidence
    }

    public static func pass(_ evidence: String...) -> CheckOutcome { CheckOutcome(.pass, evidence) }
    public static func fail(_ evidence: String...) -> CheckOutcome { CheckOutcome(.fail, evidence) }
    public static func notApplicable(_ evidence: String...) -> CheckOutcome { CheckOutcome(.notApplicable, evidence) }

    /// Several checks of one row together: fail if any fails, else pass if any passes, else not applicable.
    public static func combined(_ outcomes: [CheckOutcome]) -> CheckOutcome {
        let evidence = outcomes.flatMap(\.evidence)
        if outcomes.contains(where: { $0.status == .fail }) { return CheckOutcome(.fail, evidence) }
        if outcomes.contains(where: { $0.status == .pass }) { return CheckOutcome(.pass, evidence) }
        if outcomes.contains(where: { $0.status == .manual }) { return CheckOutcome(.manual, evidence) }
        return CheckOutcome(.notApplicable, evidence)
    }
}

/// One evaluated row: the checklist's id and title, the level from which it is required, status and evidence.
public struct RowResult: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    public var section: String
    /// The lowest level that requires this row to pass.
    public var level: ReadinessLevel
    public var status: RowStatus
    public var evidence: [String]

    public init(id: String, title: String, section: String, level: ReadinessLevel, status: RowStatus, evidence: [String]) {
        self.id = id
        self.title = title
        self.section = section
        self.level = level
        self.status = status
        self.evidence = evidence
    }
}

/// One evaluation of the whole checklist.
public struct ReadinessReport: Sendable, Codable {
    public var startedAt: Date
    public var finishedAt: Date
    public var rows: [RowResult]
    /// The highest level of §1 whose automatic rows all pass (``ReadinessLevels/reached(_:)``).
    public var level: ReadinessLevel
    /// Why the next level is not reached (the failing rows it requires), empty at L4.
    public var blockers: [String]

    public func count(_ status: RowStatus) -> Int { rows.filter { $0.status == status }.count }
}
