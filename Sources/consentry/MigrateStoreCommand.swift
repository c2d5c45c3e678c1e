import ArgumentParser
import ConsentCore
import ConsentPostgres
import ConsentSQLite
import Foundation

struct MigrateStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy a SQLite store into an empty PostgreSQL database, verbatim, and verify the copy.",
        discussion: """
            Copies policy versions, members, the ledger, objections and non-members' requests, the \
            audit chain, the outbox, datasets, models and lineage, keeping every key, sequence \
            number and hash. The copy is one transaction: if anything fails, the target stays \
            empty. It refuses a target that holds anything. Afterwards it compares row counts \
            table by table and verifies the audit chain on the target, ending at the source's head.

            The source is read from one snapshot; stop writers first so that nothing written \
            after the snapshot is left behind.

              consentry migrate-store --from sqlite:consentry.sqlite --to postgres://consentry@db.internal:5432/consentry
            """
    )

    @Option(help: ArgumentHelp("The SQLite store to copy: sqlite:PATH.", valueName: "sqlite:path"))
    var from: String

    @Option(help: ArgumentHelp("The empty PostgreSQL database to copy into: postgres://user@host:5432/database (the password in PGPASSWORD).", valueName: "url"))
    var to: String

    func validate() throws {
        guard from.hasPrefix("sqlite:"), from.count > 7 else { throw ValidationError("--from must be sqlite:PATH") }
        guard to.hasPrefix("postgres://") || to.hasPrefix("postgresql://") else {
            throw ValidationError("--to must be a postgres:// URL")
        }
    }

    func run() async throws {
        let path = String(from.dropFirst(7))
        let source = try SQLiteConsentStore(path: path, mustExist: true)
        let sourceChain = try await source.verifyAuditChain()
        StoreOptions.warnAboutPassword(in: to, givenAs: "--to")
        let target = try await StoreOptions.openPostgres(to)
        defer { target.close() }
        let showProgress = stderrIsTerminal
        let started = Date()
        let report = try await target.copy(from: source.driver) { table, rows in
            if showProgress { printError("\r\u{1B}[Kmigrate-store: \(table): \(rows) rows", newline: false) }
        }
        if showProgress { printError("\r\u{1B}[K", newline: false) }
        // Verify: every table's count, and the chain, on the target.
        let counts = try await target.tableCounts()
        for (table, copied) in report.rows where counts[table] != copied {
            throw ConsentError.storeUnavailable("\(table): the source has \(copied) rows, the target \(counts[table] ?? 0); the copy is not faithful")
        }
        let targetChain = try await target.verifyAuditChain()
        guard targetChain == sourceChain else {
            throw ConsentError.auditChainBroken(sequence: targetChain.entries,
                                                message: "the target's chain ends at \(targetChain.entries) \(targetChain.headHash.prefix(12))…, the source's at \(sourceChain.entries) \(sourceChain.headHash.prefix(12))…")
        }
        let total = report.rows.reduce(0) { $0 + $1.count }
        print(String(format: "migrate-store: copied %d rows in %.1f s; counts match table by table; audit chain ok on the target: %lld entries, head %@",
                     total, Date().timeIntervalSince(started), targetChain.entries, targetChain.headHash))
        for (table, count) in report.rows where count > 0 { print("  \(table): \(count)") }
    }
}
