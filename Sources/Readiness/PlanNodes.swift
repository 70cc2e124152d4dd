import Foundation

/// The nodes of an `EXPLAIN (FORMAT JSON)` plan that matter to DA4: which relations are read sequentially, and a
/// one-line summary of the scans (`Index Scan using files_pkey on files`).
struct PlanNodes {
    var sequentialScans: [String] = []
    var scans: [String] = []

    init(json: String) {
        guard let top = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
              let plan = top.first?["Plan"] as? [String: Any] else {
            scans = ["unreadable plan"]
            sequentialScans = ["(unreadable plan)"]
            return
        }
        walk(plan)
    }

    private mutating func walk(_ node: [String: Any]) {
        let type = node["Node Type"] as? String ?? "?"
        let relation = node["Relation Name"] as? String
        if type == "Seq Scan" { sequentialScans.append(relation ?? "?") }
        let index = (node["Index Name"] as? String).map { " using \($0)" } ?? ""
        if let relation {
            scans.append("\(type)\(index) on \(relation)")
        } else if !index.isEmpty {
            scans.append("\(type)\(index)")   // a Bitmap Index Scan under its Bitmap Heap Scan
        }
        for child in node["Plans"] as? [[String: Any]] ?? [] { walk(child) }
    }

    var summary: String { scans.isEmpty ? "no table scan" : scans.joined(separator: "; ") }
}
