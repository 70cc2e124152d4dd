import Foundation
import JobKit

/// Renders rows as an aligned text table for people.
func renderTable(_ header: [String], _ rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

/// The command line's JSON: keys in sorted (so stable) order and snake_case, times in ISO-8601.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.dateEncodingStrategy = .iso8601
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Prints `value` as one line of the command line's JSON (``jsonText(_:)``).
func printJSON<T: Encodable>(_ value: T) throws {
    print(try jsonText(value))
}

func shortTime(_ date: Date?) -> String {
    guard let date else { return "-" }
    let f = ISO8601DateFormatter()
    return f.string(from: date)
}

func jobRows(_ jobs: [JobRecord]) -> String {
    renderTable(["ID", "STATE", "QUEUE", "KIND", "ATTEMPT", "SCHEDULED", "LAST ERROR"], jobs.map { j in
        [String(j.id), j.state.rawValue, j.queue, j.kind, "\(j.attempt)/\(j.maxAttempts)", shortTime(j.scheduledAt),
         String((j.errors.last?.error ?? "").prefix(60))]
    })
}
