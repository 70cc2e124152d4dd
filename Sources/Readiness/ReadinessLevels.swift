/// How the rows decide the level (§1): each automatic row is required from a level on (``ChecklistRow/level``);
/// the level reached is the highest one up to which every required row passes or does not apply. L4 (mature: DR
/// drills) also needs backups and WAL archiving configured and recent (DA5 `pass`, not merely not applicable).
/// Manual rows never lower the machine's level: they are what a person signs off (§14), listed in the report.
public enum ReadinessLevels {
    /// Rows that must `pass` (not only be not applicable) for a level.
    public static let mustPass: [ReadinessLevel: Set<String>] = [.l4: ["DA5"]]

    public static func reached(_ rows: [RowResult]) -> (level: ReadinessLevel, blockers: [String]) {
        var reached = ReadinessLevel.l0
        for level in ReadinessLevel.allCases.dropFirst() {
            let blockers = Self.blockers(rows, for: level)
            if !blockers.isEmpty { return (reached, blockers) }
            reached = level
        }
        return (reached, [])
    }

    /// The rows that keep `level` from being reached.
    public static func blockers(_ rows: [RowResult], for level: ReadinessLevel) -> [String] {
        var out: [String] = []
        for row in rows where row.level <= level {
            if row.status == .fail { out.append("\(row.id) fails") }
            if row.status == .notApplicable, mustPass[level]?.contains(row.id) == true {
                out.append("\(row.id) must pass for \(level), not only not apply")
            }
        }
        return out
    }
}
