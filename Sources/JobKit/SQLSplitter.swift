/// Splits a SQL script into statements at top-level semicolons, respecting quotes ('…', "…"),
/// dollar quotes ($$…$$, $tag$…$tag$) and comments (-- …, /* … */). The extended query protocol that
/// the driver speaks takes one statement at a time, so migrations are run statement by statement
/// (inside one transaction).
enum SQLSplitter {
    static func split(_ sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var i = 0
        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty && !isOnlyComments(text) { statements.append(text) }
            current = String.UnicodeScalarView()
        }
        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-" && next == "-" {
                while i < chars.count && chars[i] != "\n" { current.append(chars[i]); i += 1 }
                continue
            }
            if c == "/" && next == "*" {
                var depth = 0
                repeat {
                    if chars[i] == "/" && i + 1 < chars.count && chars[i + 1] == "*" { depth += 1; current.append(chars[i]); i += 1 }
                    else if chars[i] == "*" && i + 1 < chars.count && chars[i + 1] == "/" { depth -= 1; current.append(chars[i]); i += 1 }
                    current.append(chars[i]); i += 1
                } while i < chars.count && depth > 0
                continue
            }
            if c == "'" || c == "\"" {
                current.append(c); i += 1
                while i < chars.count {
                    current.append(chars[i])
                    if chars[i] == c {
                        if i + 1 < chars.count && chars[i + 1] == c { current.append(chars[i + 1]); i += 2; continue }
                        i += 1; break
                    }
                    i += 1
                }
                continue
            }
            if c == "$", let tagEnd = dollarTagEnd(chars, from: i) {
                let tag = Array(chars[i...tagEnd])
                for s in tag { current.append(s) }
                i = tagEnd + 1
                while i < chars.count {
                    if chars[i] == "$" && i + tag.count <= chars.count && Array(chars[i..<(i + tag.count)]) == tag {
                        for s in tag { current.append(s) }
                        i += tag.count
                        break
                    }
                    current.append(chars[i]); i += 1
                }
                continue
            }
            if c == ";" { flush(); i += 1; continue }
            current.append(c); i += 1
        }
        flush()
        return statements
    }

    /// If a dollar-quote tag (`$$` or `$name$`) starts at `i`, the index of its closing `$`.
    private static func dollarTagEnd(_ chars: [Unicode.Scalar], from i: Int) -> Int? {
        if i > 0, chars[i - 1].properties.isAlphabetic || chars[i - 1] == "_" || ("0"..."9").contains(chars[i - 1]) { return nil }
        var j = i + 1
        while j < chars.count {
            let s = chars[j]
            if s == "$" { return j }
            if !(s.properties.isAlphabetic || s == "_" || (j > i + 1 && ("0"..."9").contains(s))) { return nil }
            j += 1
        }
        return nil
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") || $0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}

import Foundation
