/// A `Range: bytes=…` request against a file of known size (RFC 9110 §14). Only single ranges are served;
/// a multi-range request gets the whole file, as the RFC allows.
public enum ByteRange: Sendable, Hashable {
    /// No (usable) Range header: the whole file, 200.
    case whole
    /// One satisfiable range: 206 with `Content-Range: bytes first-last/size`.
    case partial(Range<Int64>)
    /// Outside the file: 416 with `Content-Range: bytes */size`.
    case unsatisfiable

    public static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header, header.hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        if spec.contains(",") { return .whole }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return .whole }
        if parts[0].isEmpty {
            // bytes=-N: the last N bytes.
            guard let n = Int64(parts[1]), n >= 0 else { return .whole }
            if n == 0 || size == 0 { return .unsatisfiable }
            return .partial(max(0, size - n)..<size)
        }
        guard let first = Int64(parts[0]), first >= 0 else { return .whole }
        if first >= size { return .unsatisfiable }
        if parts[1].isEmpty { return .partial(first..<size) }
        guard let last = Int64(parts[1]), last >= first else { return .whole }
        return .partial(first..<min(last + 1, size))
    }
}

/// A `Content-Disposition` that is safe whatever the stored name holds (RFC 6266 with RFC 8187 `filename*`).
public enum ContentDisposition {
    public static func attachment(filename: String?) -> String {
        guard let filename, !filename.isEmpty else { return "attachment" }
        // The last path component only, without control characters.
        let base = filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? "download"
        let clean = String(base.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
        let ascii = String(clean.unicodeScalars.map { s -> Character in
            (s.isASCII && s != "\"" && s != "%" && s != ";" && s != "\\") ? Character(s) : "_"
        })
        var encoded = ""
        for byte in clean.utf8 {
            let c = Character(UnicodeScalar(byte))
            if byte < 0x80, c.isLetter || c.isNumber || "!#$&+-.^_`|~".contains(c) { encoded.append(c) }
            else { encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2) }
        }
        return "attachment; filename=\"\(ascii.isEmpty ? "download" : ascii)\"; filename*=UTF-8''\(encoded)"
    }
}

extension String {
    fileprivate func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
