import Foundation

extension FilestoreConfiguration {
    /// Secrets: bearer-token (JWT) keys and signed-URL keys. Each list comes from a variable, a file, or both
    /// (joined); the first key signs, all of them verify, so keys rotate by prepending.
    public struct Keys: Sendable {
        /// `FILESTORE_JWT_KEYS` (`kid=secret,…`) and/or the file `FILESTORE_JWT_KEYS_FILE`. Default: none —
        /// `serve`, `dev` and `token issue` refuse to start without one.
        public var jwt: [SigningKey] = []
        /// `FILESTORE_URL_KEYS` and/or the file `FILESTORE_URL_KEYS_FILE`, same form. Default: none — `serve`
        /// and `dev` refuse to start without one.
        public var url: [SigningKey] = []
        /// The file `FILESTORE_JWT_KEYS_FILE` named, if any (its modification time dates the last rotation: readiness S4).
        public var jwtFile: String?
        /// The file `FILESTORE_URL_KEYS_FILE` named, if any.
        public var urlFile: String?
        /// `FILESTORE_ENCRYPTION_KEYS` and/or the file `FILESTORE_ENCRYPTION_KEYS_FILE`, same form: the operator's
        /// keys that seal secrets at rest (webhook signing secrets); the first seals, all of them open, and
        /// `filestore webhooks reseal` moves rows to the first. Default: none — secrets are stored unsealed, and
        /// `serve`, `work` and `dev` say so at start.
        public var encryption: [SigningKey] = []
        /// `FILESTORE_URL_MAX_TTL`: the longest lifetime of a signed URL, in seconds. Default: 3600.
        public var urlMaximumTTL: Double = 3600

        public init() {}

        /// The JWT keys, or an error that says how to set them.
        public func requireJWT() throws -> [SigningKey] {
            guard !jwt.isEmpty else {
                throw ConfigurationError(.missing, variable: "FILESTORE_JWT_KEYS",
                                         message: "no JWT keys: set FILESTORE_JWT_KEYS=kid=secret[,kid=secret] (secrets of 32+ bytes) or FILESTORE_JWT_KEYS_FILE")
            }
            return jwt
        }

        /// The URL signing keys, or an error that says how to set them.
        public func requireURL() throws -> [SigningKey] {
            guard !url.isEmpty else {
                throw ConfigurationError(.missing, variable: "FILESTORE_URL_KEYS",
                                         message: "no URL signing keys: set FILESTORE_URL_KEYS=kid=secret[,kid=secret] (secrets of 32+ bytes) or FILESTORE_URL_KEYS_FILE")
            }
            return url
        }

        init(reading r: inout SettingsReader) throws {
            r.section = "keys"
            jwt = try Self.keyList(&r, "FILESTORE_JWT_KEYS")
            jwtFile = r.raw("FILESTORE_JWT_KEYS_FILE")?.0
            url = try Self.keyList(&r, "FILESTORE_URL_KEYS")
            urlFile = r.raw("FILESTORE_URL_KEYS_FILE")?.0
            encryption = try Self.keyList(&r, "FILESTORE_ENCRYPTION_KEYS")
            urlMaximumTTL = try r.value("FILESTORE_URL_MAX_TTL", default: "3600", accepts: "a number of seconds, at least 1") {
                Parse.seconds($0, minimum: 1)
            }
        }

        /// The keys of `variable` and of the file `variable_FILE`, together.
        static func keyList(_ r: inout SettingsReader, _ variable: String) throws -> [SigningKey] {
            let inline = try r.optional(variable, accepts: SigningKey.accepted, secret: true,
                                        redact: { text in (try? SigningKey.parseList(text)).map(Self.redacted) ?? "<redacted>" }) {
                try SigningKey.parseList($0)
            } ?? []
            let fileVariable = variable + "_FILE"
            guard let file = r.raw(fileVariable) else {
                r.record(fileVariable, nil, .default)
                return inline
            }
            let (path, source) = file
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
                throw ConfigurationError(.unreadableFile, variable: fileVariable,
                                         message: "cannot read \(fileVariable)='\(path)': \(reason)")
            }
            let fromFile: [SigningKey]
            do { fromFile = try SigningKey.parseList(text) } catch {
                throw ConfigurationError.invalid(fileVariable, value: path, source: source, accepts: "a file of \(SigningKey.accepted)", detail: "\(error)")
            }
            r.record(fileVariable, "\(path) (\(redacted(fromFile)))", source)
            let all = inline + fromFile
            for (i, key) in all.enumerated() where all[..<i].contains(where: { $0.kid == key.kid }) {
                throw ConfigurationError.invalid(variable, value: nil, source: source, accepts: SigningKey.accepted,
                                                 detail: "key id '\(key.kid)' is in both \(variable) and \(fileVariable)")
            }
            return all
        }

        /// `k1=<redacted>,k2=<redacted>`: the ids, never the secrets.
        static func redacted(_ keys: [SigningKey]) -> String {
            keys.isEmpty ? "<none>" : keys.map(\.description).joined(separator: ",")
        }
    }
}
