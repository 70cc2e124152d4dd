/// Names of inbox sources (`POST /v1/inbox/{source}`).
public enum InboxSources {
    /// 1-64 of `a-z 0-9 _ -`, starting with a letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.enumerated().allSatisfy { i, b in
            (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || (i > 0 && (b == 95 || b == 45))
        }
    }
}
