import ArgumentParser
import ConsentPostgres
import ConsentSQLite

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Bring the store's schema up to date, and say what was applied.",
        discussion: """
            Every command migrates the store when it opens it; run this before rolling out a new \
            version to several instances, so that none of them starts against an old schema. \
            Migrations are numbered and applied once each, in order, each in its own transaction; \
            instances starting together wait for each other.

              consentry migrate --database-url postgres://consentry@db.internal:5432/consentry
            """
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let applied: [Int]
        if let url = store.postgresURL {
            let postgres = try await PostgresConsentStore(url: url, migrate: false)
            defer { postgres.close() }
            applied = try await postgres.migrate()
        } else {
            applied = try await SQLiteConsentStore(path: store.path(), migrate: false).migrate()
        }
        print(applied.isEmpty ? "\(store.location): the schema is up to date (version \(SQLiteConsentStore.schemaVersion))"
                              : "\(store.location): applied migration\(applied.count == 1 ? "" : "s") \(applied.map(String.init).joined(separator: ", "))")
    }
}
