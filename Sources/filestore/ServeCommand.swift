import ArgumentParser
import FilestoreConfig
import JobKit

struct ServeCommand: ConfiguredCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the file API (stateless; run many behind a load balancer).")
    @OptionGroup var db: DatabaseOptions
    @OptionGroup var serve: ServeOptions

    var flags: [String: String] { db.flags.adding(serve.flags) }

    func run(configuration: FilestoreConfiguration) async throws {
        let process = FilestoreProcess(configuration: configuration, runsWorkers: false, servesAPI: true, registry: JobRegistry(),
                                       metrics: bootstrapMetrics())
        try await reportingErrors { try await process.run() }
    }
}
