import ArgumentParser
import ConsentCore
import ConsentSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The options every subcommand shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite database file (env CONSENTRY_DB; default ./consentry.sqlite).", valueName: "path"))
    var db: String?

    /// --db, else CONSENTRY_DB, else `fallback`.
    func path(default fallback: String = "./consentry.sqlite") -> String {
        db ?? ProcessInfo.processInfo.environment["CONSENTRY_DB"] ?? fallback
    }

    /// Opens the store for writing, creating the file if needed.
    func openForWriting() throws -> SQLiteConsentStore {
        try SQLiteConsentStore(path: path())
    }

    /// Opens an existing store; a missing file is an error, not an empty store.
    func openExisting() throws -> SQLiteConsentStore {
        try SQLiteConsentStore(path: path(), mustExist: true)
    }
}

/// An instant given on the command line: RFC 3339 or a date (00:00 UTC).
struct Instant: ExpressibleByArgument {
    var date: Date

    init?(argument: String) {
        guard let date = Timestamp.parse(argument) else { return nil }
        self.date = date
    }

    init(_ date: Date) { self.date = date }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension Choice: ExpressibleByArgument {}
extension Channel: ExpressibleByArgument {}
extension ObjectionStatus: ExpressibleByArgument {}

/// Who the audit log says acted: the operating-system user running the tool.
var cliActor: String {
    if let user = ProcessInfo.processInfo.environment["USER"], !user.isEmpty { return "cli:" + user }
    if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return "cli:" + String(cString: name) }
    return "cli:uid-\(getuid())"
}

/// Requires an active policy: without one nobody can be decided eligible.
func requireActivePolicy(_ store: any ConsentStore) async throws -> PolicyVersion {
    guard let version = try await store.activePolicy() else { throw ConsentError.noActivePolicy }
    return version
}
