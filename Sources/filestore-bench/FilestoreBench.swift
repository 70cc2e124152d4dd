import ArgumentParser

/// `filestore-bench`: the project's benchmarks, apart from the product binary. Each prints one JSON line on
/// stdout (the lines kept in `perf/*.jsonl`) and its progress on stderr. The upload and pipeline benchmarks
/// drive real `filestore serve` / `filestore work` processes; the queue benchmark runs its own worker
/// processes (`filestore-bench queue-worker`, built on JobKit alone).
@main
struct FilestoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filestore-bench",
        abstract: "Benchmarks of filestore: the job queue, uploads, the scan and optimize pipeline.",
        subcommands: [BenchQueueCommand.self, BenchUploadCommand.self, BenchPipelineCommand.self, QueueWorkerCommand.self,
                      BenchScheduleCommand.self, BenchConsoleCommand.self]
    )
}
