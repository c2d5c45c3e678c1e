import ArgumentParser
import ConsentCore
import ConsentPostgres
import ConsentSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything the commands need of a store: the records, lineage and the outbox. Both the
/// SQLite file and PostgreSQL provide it.
typealias ConsentryStore = LineageStore & OutboxStore

/// The options every subcommand shares: which store to use.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The SQLite database file (env CONSENTRY_DB; default ./consentry.sqlite).", valueName: "path"))
    var db: String?

    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "Use PostgreSQL instead of a SQLite file: postgres://user:password@host:5432/database (env CONSENTRY_DATABASE_URL). The password is never printed.",
        valueName: "url"))
    var databaseURL: String?

    func validate() throws {
        if db != nil, databaseURL != nil { throw ValidationError("give --db or --database-url, not both") }
    }

    /// --db, else CONSENTRY_DB, else `fallback`.
    func path(default fallback: String = "./consentry.sqlite") -> String {
        db ?? ProcessInfo.processInfo.environment["CONSENTRY_DB"] ?? fallback
    }

    /// The PostgreSQL URL in force: --database-url, else CONSENTRY_DATABASE_URL unless --db was given.
    var postgresURL: String? {
        if let databaseURL { return databaseURL }
        guard db == nil, let url = ProcessInfo.processInfo.environment["CONSENTRY_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// Where the store is, for messages: the SQLite path, or PostgreSQL's host, port and database (no password).
    var location: String {
        postgresURL.map(PostgresConsentStore.describe(url:)) ?? path()
    }

    /// Opens the store for writing: PostgreSQL (migrated), or the SQLite file, created if needed.
    func openForWriting() async throws -> any ConsentryStore {
        try await open(mustExist: false)
    }

    /// Opens an existing store: PostgreSQL (migrated), or the SQLite file; a missing file is an
    /// error, not an empty store.
    func openExisting() async throws -> any ConsentryStore {
        try await open(mustExist: true)
    }

    func open(mustExist: Bool) async throws -> any ConsentryStore {
        if let databaseURL { Self.warnAboutPassword(in: databaseURL, givenAs: "--database-url") }
        return try await Self.open(sqlite: path(), postgres: postgresURL, mustExist: mustExist)
    }

    static func open(sqlite path: String, postgres url: String?, mustExist: Bool) async throws -> any ConsentryStore {
        if let url { return try await openPostgres(url) }
        return try SQLiteConsentStore(path: path, mustExist: mustExist)
    }
}

extension StoreOptions {
    /// Connects to PostgreSQL at `url`, first warning on stderr when the connection leaves this
    /// machine unencrypted or unverified.
    static func openPostgres(_ url: String) async throws -> PostgresConsentStore {
        if let warning = PostgresConsentStore.transportWarning(url: url) { printError("warning: \(warning)") }
        return try await PostgresConsentStore(url: url)
    }

    /// Warns when a URL given as the command-line `option` carries a password, which other users
    /// of the machine can read in the process list.
    static func warnAboutPassword(in url: String, givenAs option: String) {
        guard let password = URLComponents(string: url)?.password, !password.isEmpty else { return }
        printError("warning: \(option) carries a password, which other users of this machine can read in the process list; put the URL in CONSENTRY_DATABASE_URL, or the password in PGPASSWORD")
    }
}
