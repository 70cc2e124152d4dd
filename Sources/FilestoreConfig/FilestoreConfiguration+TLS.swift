import API
import Foundation

extension FilestoreConfiguration {
    /// TLS on the process's listener (the file API of `serve`/`dev`, or a worker's ops endpoints), and mutual TLS
    /// for its service routes. Without a certificate the listener speaks plain HTTP (put it behind a TLS proxy).
    public struct TLS: Sendable {
        /// `FILESTORE_TLS_CERT_FILE`: PEM certificate chain (leaf first) of the listener. Default: none (plain HTTP).
        public var certificateFile: String?
        /// `FILESTORE_TLS_KEY_FILE`: PEM private key of that certificate; required with it. Default: none.
        public var keyFile: String?
        /// `FILESTORE_TLS_CLIENT_CA_FILE`: PEM bundle of the CAs whose client certificates are accepted (mutual
        /// TLS); clients are asked for a certificate, and the ones presented are verified. Default: none.
        public var clientCAFile: String?
        /// `FILESTORE_TLS_METRICS_CLIENTS`: subjects allowed to read `/metrics` over mutual TLS, separated by `;` —
        /// `CN=prometheus,O=ops` or a bare common name. Needs `FILESTORE_TLS_CLIENT_CA_FILE`. Default: none
        /// (`/metrics` is open to whoever reaches the port).
        public var metricsClients: [String] = []
        /// `FILESTORE_TLS_INBOX_CLIENTS`: subjects of the platform services allowed to post to `/v1/inbox/{source}`
        /// over mutual TLS, separated by `;`, in addition to the Standard Webhooks signature each event carries.
        /// Needs `FILESTORE_TLS_CLIENT_CA_FILE`. Default: none (the signature alone authenticates).
        public var inboxClients: [String] = []
        /// `FILESTORE_TLS_RELOAD_SECONDS`: how often the files are checked for a change (a changed certificate is
        /// served to new connections without a restart). Default: 10.
        public var reloadSeconds: Double = 10

        public init() {}

        /// The files, or `nil` without TLS.
        public var files: TLSFiles? {
            guard let certificateFile, let keyFile else { return nil }
            return TLSFiles(certificate: certificateFile, key: keyFile, clientCA: clientCAFile)
        }

        /// Loads the files (a failure names the variable: the process does not start).
        public func makeStore() throws -> TLSContextStore? {
            guard let files else { return nil }
            do { return try TLSContextStore(files: files) } catch {
                throw ConfigurationError(.unreadableFile, variable: "FILESTORE_TLS_CERT_FILE",
                                         message: "cannot load the TLS files FILESTORE_TLS_CERT_FILE='\(files.certificate)', FILESTORE_TLS_KEY_FILE='\(files.key)'"
                                             + (files.clientCA.map { ", FILESTORE_TLS_CLIENT_CA_FILE='\($0)'" } ?? "") + ": \(error)")
            }
        }

        init(reading r: inout SettingsReader) throws {
            r.section = "tls"
            let file = { (text: String) -> String? in text }
            certificateFile = try r.optional("FILESTORE_TLS_CERT_FILE", accepts: "a PEM certificate file", file)
            keyFile = try r.optional("FILESTORE_TLS_KEY_FILE", accepts: "a PEM private key file", file)
            clientCAFile = try r.optional("FILESTORE_TLS_CLIENT_CA_FILE", accepts: "a PEM file of CA certificates", file)
            let subjects = { (text: String) -> [String]? in
                text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            metricsClients = try r.optional("FILESTORE_TLS_METRICS_CLIENTS", accepts: "certificate subjects (CN=name,O=org or a common name), separated by ';'", subjects) ?? []
            inboxClients = try r.optional("FILESTORE_TLS_INBOX_CLIENTS", accepts: "certificate subjects (CN=name,O=org or a common name), separated by ';'", subjects) ?? []
            reloadSeconds = try r.value("FILESTORE_TLS_RELOAD_SECONDS", default: "10", accepts: "a number of seconds, at least 1") {
                Parse.seconds($0, minimum: 1)
            }
            if (certificateFile == nil) != (keyFile == nil) {
                throw ConfigurationError(.missing, variable: certificateFile == nil ? "FILESTORE_TLS_CERT_FILE" : "FILESTORE_TLS_KEY_FILE",
                                         message: "FILESTORE_TLS_CERT_FILE and FILESTORE_TLS_KEY_FILE go together: set both, or neither for plain HTTP")
            }
            if clientCAFile != nil, certificateFile == nil {
                throw ConfigurationError(.missing, variable: "FILESTORE_TLS_CERT_FILE",
                                         message: "FILESTORE_TLS_CLIENT_CA_FILE needs TLS: set FILESTORE_TLS_CERT_FILE and FILESTORE_TLS_KEY_FILE")
            }
            for (variable, clients) in [("FILESTORE_TLS_METRICS_CLIENTS", metricsClients), ("FILESTORE_TLS_INBOX_CLIENTS", inboxClients)]
            where !clients.isEmpty && clientCAFile == nil {
                throw ConfigurationError(.missing, variable: "FILESTORE_TLS_CLIENT_CA_FILE",
                                         message: "\(variable) needs mutual TLS: set FILESTORE_TLS_CLIENT_CA_FILE")
            }
        }
    }
}
