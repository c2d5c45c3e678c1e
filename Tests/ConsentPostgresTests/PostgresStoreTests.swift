import ConsentCore
import ConsentPostgres
import ConsentStorage
import ConsentTesting
import Foundation
import Testing

/// A fresh database on the test cluster (`scripts/postgres start`, which `scripts/test` runs):
/// created for one test, dropped after it.
struct TestDatabase {
    static let adminURL = ProcessInfo.processInfo.environment["CONSENTRY_TEST_DATABASE_URL"]
    static var available: Bool { adminURL != nil }

    let name: String
    let url: String

    init() async throws {
        let adminURL = try #require(Self.adminURL, "CONSENTRY_TEST_DATABASE_URL is not set; run scripts/test")
        name = "consentry_test_" + RandomHex.sixteen()
        url = try await PostgresAdmin.createDatabase(name, adminURL: adminURL)
    }

    /// Generous timeouts: the suites run in parallel on two cores while databases are created.
    func open() async throws -> PostgresConsentStore {
        try await PostgresConsentStore(url: url, connectTimeout: .seconds(30), leaseTimeout: .seconds(30))
    }

    func drop() async throws {
        try await PostgresAdmin.dropDatabase(name, adminURL: try #require(Self.adminURL))
    }

    /// Runs `body` with a store on a fresh database, dropping the database afterwards.
    static func with(_ body: (PostgresConsentStore) async throws -> Void) async throws {
        let database = try await TestDatabase()
        let store = try await database.open()
        do {
            try await body(store)
        } catch {
            store.close()
            try? await database.drop()
            throw error
        }
        store.close()
        try await database.drop()
    }
}

/// The store contract, the same checks the SQLite store passes, against PostgreSQL.
@Suite(.enabled(if: TestDatabase.available, "needs CONSENTRY_TEST_DATABASE_URL (scripts/test starts a cluster)"))
struct PostgresStoreContractTests {
    @Test(arguments: StoreContract.checks.map(\.name))
    func postgresStoreSatisfiesTheContract(_ name: String) async throws {
        try await TestDatabase.with { store in try await StoreContract.checks.first { $0.name == name }!.run(store) }
    }

    @Test(arguments: LineageContract.checks.map(\.name))
    func postgresStoreSatisfiesTheLineageContract(_ name: String) async throws {
        try await TestDatabase.with { store in try await LineageContract.checks.first { $0.name == name }!.run(store) }
    }

    @Test(arguments: TamperContract.cases.map(\.name))
    func aFactChangedBehindConsentrysBackIsNamed(_ name: String) async throws {
        try await TestDatabase.with { store in
            try await TamperContract.run(TamperContract.cases.first { $0.name == name }!, store: store) { sql in
                // A superuser's session that fires no trigger: what a database owner can do.
                try await store.driver.write { db in try db.executeScript("SET LOCAL session_replication_role = replica;\n" + sql) }
            }
        }
    }

    @Test func theDatabaseKeepsChoicesToMembersItHolds() async throws {
        try await TestDatabase.with { store in
            try await ReferenceContract.run(store: store) { sql in try await store.driver.write { db in try db.executeScript(sql) } }
        }
    }

    @Test func aChoiceOnlyTheDatabaseRefusesFailsAlone() async throws {
        try await TestDatabase.with { store in
            try await store.driver.write { db in
                try db.executeScript("""
                    CREATE FUNCTION test_refuses_a_choice() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                    CREATE TRIGGER test_refuses_a_choice BEFORE INSERT ON consent_events FOR EACH ROW
                    WHEN (NEW.actor = 'refused') EXECUTE FUNCTION test_refuses_a_choice();
                    """)
            }
            try await StoreContract.aChoiceOnlyTheDatabaseRefusesFailsAlone(store, refusedActor: "refused")
        }
    }

    @Test(arguments: OutboxContract.checks.map(\.name))
    func postgresStoreSatisfiesTheOutboxContract(_ name: String) async throws {
        try await TestDatabase.with { store in try await OutboxContract.checks.first { $0.name == name }!.run(store) }
    }
}
