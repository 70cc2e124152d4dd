import ArgumentParser
import FilestoreConfig

/// `filestore config`: the effective configuration — every setting, its value and where it came from — with
/// secrets redacted (key secrets, database passwords).
struct ConfigCommand: ConfiguredCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration (every setting, its value and source: default, env or flag), secrets redacted.",
        discussion: "Every variable is described in docs/CONFIGURATION.md. A bad value is reported as it would stop `serve` or `work`.")
    @OptionGroup var db: DatabaseOptions
    @OptionGroup var options: WorkOptions
    @OptionGroup var serve: ServeOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    var flags: [String: String] { db.flags.adding(options.flags).adding(serve.flags) }

    func run(configuration: FilestoreConfiguration) async throws {
        if json { try printJSON(ConfigOutput(settings: configuration.entries)); return }
        print(renderTable(["SECTION", "VARIABLE", "VALUE", "SOURCE"], configuration.entries.map { e in
            [e.section, e.variable, e.value ?? "(unset)", e.source.rawValue]
        }))
    }
}

/// `filestore config --json`.
struct ConfigOutput: Encodable {
    var settings: [ConfigurationEntry]
}
