/// Sizes as operators write them: `5368709120`, `512MiB`, `5G`, `5GiB`, `100 MB`. Units are binary (`K`, `KB`
/// and `KiB` all mean 1024 bytes): a setting that bounds memory or disk is read the way `df -h` prints it.
public enum ByteSize {
    static let units: [String: Int64] = [
        "": 1, "b": 1,
        "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
        "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
        "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
        "t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40,
    ]

    /// What the parser accepts, for messages.
    public static let accepted = "a size such as 1048576, 512MiB, 5G or 5GiB (units B, K/KiB, M/MiB, G/GiB, T/TiB)"

    /// The number of bytes, or `nil` for text that is not a whole, positive size.
    public static func parse(_ text: String) -> Int64? {
        let t = text.filter { $0 != " " && $0 != "_" }
        let digits = t.prefix { $0.isNumber }
        guard !digits.isEmpty, let n = Int64(digits), n > 0, let unit = units[t.dropFirst(digits.count).lowercased()] else { return nil }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : bytes
    }

    /// `5GiB`, `512MiB`, `100KiB` when exact, else the bytes.
    public static func format(_ bytes: Int64) -> String {
        for (suffix, unit) in [("TiB", Int64(1) << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes % unit == 0 && bytes >= unit {
            return "\(bytes / unit)\(suffix)"
        }
        return "\(bytes)"
    }
}
