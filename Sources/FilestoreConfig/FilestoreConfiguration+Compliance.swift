extension FilestoreConfiguration {
    /// Compliance: the keys that sign erasure receipts and hash data-subject ids, and the retention built-ins.
    public struct Compliance: Sendable {
        /// `FILESTORE_COMPLIANCE_KEYS` (`kid=secret,…`, secrets of 32+ bytes) and/or the file
        /// `FILESTORE_COMPLIANCE_KEYS_FILE`; the first signs and hashes, the others' public keys still verify old
        /// receipts. Default: none — erasure requests are refused (`COMPLIANCE_NOT_CONFIGURED`), erasure jobs and the
        /// audit chain's sealing wait, and the process says so at start.
        public var keys: [SigningKey] = []
        /// `FILESTORE_RETENTION_TAX_INVOICE_YEARS`: the duration of the built-in `tax_invoice` class, counted from
        /// the end of the upload's calendar year (Germany: 8 since 2025). Default: 10.
        public var taxInvoiceYears: Int = 10

        public init() {}

        init(reading r: inout SettingsReader) throws {
            r.section = "compliance"
            keys = try Keys.keyList(&r, "FILESTORE_COMPLIANCE_KEYS")
            taxInvoiceYears = try r.value("FILESTORE_RETENTION_TAX_INVOICE_YEARS", default: "10", accepts: "a whole number of years, 1 to 100") {
                Int($0).flatMap { (1...100).contains($0) ? $0 : nil }
            }
        }
    }
}
