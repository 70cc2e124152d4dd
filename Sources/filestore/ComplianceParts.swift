import Domain
import FileCore
import FilestoreConfig

/// The compliance settings as the application layer takes them: the keys made once at start  and the retention built-ins.
func complianceConfiguration(_ configuration: FilestoreConfiguration) throws -> ComplianceConfiguration {
    var compliance = ComplianceConfiguration()
    let c = configuration.compliance
    if !c.keys.isEmpty {
        compliance.keys = try ComplianceKeys(c.keys.map(\.pair))
    }
    compliance.builtInClasses = RetentionClass.builtIns(taxInvoiceYears: c.taxInvoiceYears)
    return compliance
}
