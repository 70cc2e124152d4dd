import Foundation

/// The contract of one kind of job: its args as a `Codable` value that names its kind and default queue
/// (after River's `JobArgs`). Enqueue a value (``JobClient/enqueue(_:options:)``); a ``JobWorker`` whose
/// `Args` is the type runs it. The kind string lives here only.
///
/// Args are stored as JSON (keys sorted) and decoded with the type's `Decodable` conformance, which ignores
/// keys it does not know: a field can be dropped from the type while jobs that still carry it are queued.
/// Who the job works for is not part of the args: set ``InsertOptions/tenantID`` and read ``Job/tenantID``.
public protocol JobArgs: Codable, Sendable {
    /// The kind stored in the job row and matched against registered workers, e.g. `scan`.
    static var kind: String { get }
    /// The queue used when the insert options name none. Default: `default`.
    static var defaultQueue: String { get }
    /// Insert options of this job, under those given to the enqueue call (e.g. a unique key made from the
    /// args). Default: none.
    var insertOptions: InsertOptions { get }
}

extension JobArgs {
    public static var defaultQueue: String { "default" }
    public var insertOptions: InsertOptions { InsertOptions() }
}

/// How args become the row's JSON text and back.
enum JobArgsCoding {
    /// A fresh encoder with sorted keys, so equal args give equal text (unique keys, tests, diffs).
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }

    static func encode<A: JobArgs>(_ args: A, with encoder: JSONEncoder) throws -> String {
        do {
            return String(decoding: try encoder.encode(args), as: UTF8.self)
        } catch {
            throw JobKitError(.invalidArgument, "cannot encode args of '\(A.kind)' job: \(error)")
        }
    }
}
