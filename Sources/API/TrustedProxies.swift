#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The proxies whose `X-Forwarded-For` the service believes, as networks (`10.0.0.0/8`, `192.0.2.7`, `fd00::/8`).
///
/// A client can write any `X-Forwarded-For` it likes; only the entries appended by proxies the service trusts say
/// who the client is. ``clientAddress(peer:forwardedFor:)`` starts at the socket's peer and walks the header from
/// its right end while the hop is a trusted proxy: the first address that is not one is the client. With no
/// trusted proxies (the default) the header is ignored and the client is the peer — so a client behind no proxy
/// cannot pick a fresh address, and so a fresh failure budget, per request.
public struct TrustedProxies: Sendable, Hashable {
    /// One network: the address bytes (4 or 16) and the prefix length.
    public struct Network: Sendable, Hashable, CustomStringConvertible {
        public let address: [UInt8]
        public let prefix: Int

        /// `192.0.2.0/24`, `2001:db8::/32`, or a bare address (a /32 or /128); `nil` when it is neither.
        public init?(_ text: some StringProtocol) {
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let address = TrustedProxies.parseAddress(parts[0]) else { return nil }
            let bits = address.count * 8
            if parts.count == 2 {
                guard let prefix = Int(parts[1]), (0...bits).contains(prefix), parts[1].allSatisfy(\.isASCII) else { return nil }
                self.prefix = prefix
            } else {
                self.prefix = bits
            }
            self.address = address
        }

        /// Whether `bytes` (an address of the same family) is inside this network.
        public func contains(_ bytes: [UInt8]) -> Bool {
            guard bytes.count == address.count else { return false }
            var remaining = prefix
            for (a, b) in zip(address, bytes) where remaining > 0 {
                let take = min(8, remaining)
                let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
                if a & mask != b & mask { return false }
                remaining -= take
            }
            return true
        }

        public var description: String {
            let text = TrustedProxies.format(address)
            return prefix == address.count * 8 ? text : "\(text)/\(prefix)"
        }
    }

    public let networks: [Network]

    /// No trusted proxies: `X-Forwarded-For` is ignored.
    public init(_ networks: [Network] = []) {
        self.networks = networks
    }

    /// Parses `10.0.0.0/8, 192.0.2.7, fd00::/8` (entries separated by commas); the failure names the bad entry.
    public static func parse(_ text: String) -> Result<TrustedProxies, ParseError> {
        var networks: [Network] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            guard let network = Network(part) else { return .failure(ParseError(entry: part)) }
            networks.append(network)
        }
        return .success(TrustedProxies(networks))
    }

    /// An entry that is neither an address nor a network.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let entry: String
        public var description: String { "'\(entry)' is not an IPv4 or IPv6 address or network (a.b.c.d/n, x:y::/n)" }
    }

    /// Whether the address `text` is one of the trusted proxies.
    public func trusts(_ text: some StringProtocol) -> Bool {
        guard let bytes = Self.parseAddress(text) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// The client of a request that came from `peer` carrying the `X-Forwarded-For` values `forwardedFor` (each
    /// a comma-separated list, in the order the headers came).
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String {
        guard let peer else { return "unknown" }
        let peerAddress = Self.normalise(peer)
        guard !networks.isEmpty, trusts(peerAddress) else { return peerAddress }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peerAddress
        for hop in hops.reversed() {
            // An entry that is no address was not written by a trusted proxy: the client is the last trusted hop.
            guard Self.parseAddress(hop) != nil else { return client }
            client = Self.normalise(hop)
            if !trusts(client) { return client }
        }
        return client
    }

    /// An address in its canonical text (IPv4-mapped IPv6 as IPv4), or the input when it is none.
    static func normalise(_ text: some StringProtocol) -> String {
        parseAddress(text).map(format) ?? String(text)
    }

    /// 4 bytes for IPv4 (also for `::ffff:a.b.c.d`), 16 for IPv6, `nil` for anything else.
    static func parseAddress(_ text: some StringProtocol) -> [UInt8]? {
        let string = String(text)
        guard !string.isEmpty, string.utf8.count <= 45, string.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, string, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    static func format(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        return ok ? String(cString: buffer) : bytes.map { String($0) }.joined(separator: ".")
    }
}
