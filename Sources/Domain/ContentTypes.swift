import Foundation

/// Whether the type a client declared for a file agrees with the type sniffed from its bytes. The file is
/// always served as the sniffed type; a disagreement is recorded on the file and follows
/// ``TypeMismatchPolicy``.
public enum ContentTypes {
    /// Lower case, without parameters, with common aliases folded (`image/jpg` → `image/jpeg`).
    public static func normalize(_ type: String) -> String {
        let bare = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return aliases[bare] ?? bare
    }

    static let aliases = [
        "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png", "image/heif": "image/heic",
        "image/heic-sequence": "image/heic", "image/heif-sequence": "image/heic",
        "image/tif": "image/tiff", "image/x-tiff": "image/tiff", "image/x-tif": "image/tiff", "application/x-zip-compressed": "application/zip",
        "application/x-zip": "application/zip", "application/x-gzip": "application/gzip", "application/x-pdf": "application/pdf",
    ]

    /// Types whose bytes are a ZIP archive (office documents, e-books, Java archives).
    static func isZipBased(_ type: String) -> Bool {
        type == "application/zip" || type == "application/epub+zip" || type == "application/java-archive"
            || type.hasPrefix("application/vnd.openxmlformats-officedocument.") || type.hasPrefix("application/vnd.oasis.opendocument.")
            || type.hasSuffix("+zip")
    }

    /// Types whose bytes are text.
    static func isTextual(_ type: String) -> Bool {
        type.hasPrefix("text/") || type.hasSuffix("+json") || type.hasSuffix("+xml")
            || ["application/json", "application/xml", "application/javascript", "application/x-ndjson", "application/yaml",
                "application/x-yaml", "application/sql", "application/csv", "image/svg+xml"].contains(type)
    }

    /// The type a client declared for an upload, or `nil` when it declared none: no header, or
    /// `application/x-www-form-urlencoded` — what `curl --data-binary` and HTML forms send by default, which
    /// says nothing about the bytes.
    public static func declared(_ type: String?) -> String? {
        guard let type else { return nil }
        return normalize(type) == "application/x-www-form-urlencoded" ? nil : type
    }

    /// Whether `declared` agrees with `sniffed` (``ContentSniffer``'s answer). No declaration, or
    /// `application/octet-stream`, claims nothing and always agrees; a type the sniffer cannot recognise agrees
    /// with an unrecognised file.
    public static func agrees(declared: String?, sniffed: String) -> Bool {
        guard let declared, !declared.isEmpty else { return true }
        let claim = normalize(declared), actual = normalize(sniffed)
        if claim == "application/octet-stream" || claim == actual { return true }
        switch actual {
        case "text/plain": return isTextual(claim)
        case "application/zip": return isZipBased(claim)
        case "video/mp4", "video/quicktime": return claim.hasPrefix("video/") || claim.hasPrefix("audio/")
        case "application/octet-stream": return !recognised.contains(claim) && !isTextual(claim)
        default: return false
        }
    }

    /// Types the sniffer recognises: a file declared as one of these must be one.
    static let recognised: Set<String> = ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/heic",
                                          "application/pdf", "application/zip", "application/gzip", "video/mp4",
                                          "image/tiff", "image/jxl", "video/quicktime"]
}

/// What the pipeline does with a file whose declared type disagrees with its bytes.
public enum TypeMismatchPolicy: String, Sendable, CaseIterable {
    /// Record the disagreement and serve the file as its sniffed type (default).
    case sniffed
    /// Record it and fail the file: it is never served.
    case fail
}

/// What the pipeline does with a file carrying personal metadata (GPS, device, author, timestamps) that the
/// service cannot remove — a format it does not re-encode (PDF, video, JPEG XL…). A tenant setting
/// (`tenants.unscrubbable_metadata`).
public enum UnscrubbableMetadataPolicy: String, Sendable, CaseIterable {
    /// Serve the file as uploaded, and say so on the file resource (`metadata.scrubbed: false`) (default).
    case serve
    /// Fail the file with the reason: it is never served.
    case fail
}
