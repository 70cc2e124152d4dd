/// A stored variant of a file, as the API lists it.
public struct VariantInfo: Sendable, Hashable {
    public var name: String
    public var contentType: String
    public var size: Int64
    public var sha256: String
    public var width: Int?
    public var height: Int?

    public init(name: String, contentType: String, size: Int64, sha256: String, width: Int?, height: Int?) {
        self.name = name
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.width = width
        self.height = height
    }
}
