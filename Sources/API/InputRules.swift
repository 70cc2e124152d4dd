import Domain

/// Rules for text that clients send and the service stores (file names, metadata), shared by every route that
/// takes it, so the same byte is refused the same way wherever it arrives.
enum InputRules {
    /// The longest file name, in UTF-8 bytes.
    static let maximumFileNameBytes = 255

    /// A file name: at most 255 bytes, no control characters (NUL, CR, LF, the rest of C0 and DEL), else
    /// `INVALID_REQUEST` naming `source`.
    static func checkFileName(_ name: String, source: String) throws {
        guard name.utf8.count <= maximumFileNameBytes, !name.unicodeScalars.contains(where: isControl) else {
            throw FileError(.invalidRequest, "\(source): a file name must be at most 255 bytes without control characters")
        }
    }

    /// A stored text value (tus metadata): anything but NUL, which PostgreSQL text and JSON cannot hold.
    static func checkStorable(_ value: String, source: String) throws {
        guard !value.unicodeScalars.contains("\u{0}") else {
            throw FileError(.invalidRequest, "\(source) holds a NUL byte")
        }
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool { s.value < 0x20 || s.value == 0x7F }
}
