import ConsentCore
import ConsentFormats
import ConsentSQLite
import ConsentTesting
import Foundation
import GRDB
import Testing

/// A fresh database file in its own temporary directory, removed afterwards.
final class TemporaryDatabase: Sendable {
    let directory: URL
    var path: String { directory.appendingPathComponent("consentry.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("consentry-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

struct SQLiteStoreContractTests {
    @Test(arguments: StoreContract.checks.map(\.name))
    func sqliteStoreSatisfiesTheContract(_ name: String) async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await StoreContract.checks.first { $0.name == name }!.run(store)
    }

    @Test(arguments: LineageContract.checks.map(\.name))
    func sqliteStoreSatisfiesTheLineageContract(_ name: String) async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await LineageContract.checks.first { $0.name == name }!.run(store)
    }

    @Test(arguments: OutboxContract.checks.map(\.name))
    func sqliteStoreSatisfiesTheOutboxContract(_ name: String) async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await OutboxContract.checks.first { $0.name == name }!.run(store)
    }
}

struct SQLiteStoreTests {
    @Test func aChoiceOnlyTheDatabaseRefusesFailsAlone() async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await store.driver.write { db in
            try db.executeScript("""
                CREATE TRIGGER test_refuses_a_choice BEFORE INSERT ON consent_events WHEN NEW.actor = 'refused'
                BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
                """)
        }
        try await StoreContract.aChoiceOnlyTheDatabaseRefusesFailsAlone(store, refusedActor: "refused")
    }

    @Test func theDatabaseIsInWALModeWithFullSynchronousWrites() throws {
        let database = try TemporaryDatabase()
        _ = try SQLiteConsentStore(path: database.path)
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let queue = try DatabaseQueue(path: database.path)
        #expect(try queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func theLedgerRefusesUpdatesAndDeletesInTheSchema() async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await DemoData.seed(store, population: SyntheticPopulation(count: 1000))
        let queue = try DatabaseQueue(path: database.path)
        for sql in ["UPDATE consent_events SET choice = 'on'", "DELETE FROM consent_events",
                    "UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "DELETE FROM objection_events"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try queue.write { try $0.execute(sql: sql) } }
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { try $0.execute(sql: "INSERT INTO consent_events (member_key, choice, channel, at, actor, recorded_at) VALUES (1, 'on', 'gpc', 0, 'x', 0)") }
        }
    }

    @Test func aMissingDatabaseIsAnErrorForReaders() {
        #expect(throws: ConsentError.self) { try SQLiteConsentStore(path: "/tmp/does-not-exist-\(UUID()).sqlite", mustExist: true) }
    }

    @Test func concurrentWritersLoseNothing() async throws {
        let database = try TemporaryDatabase()
        let setup = try SQLiteConsentStore(path: database.path)
        try await StoreContractSeed.seed(setup)
        // Two independent connections pools on one file, as two processes would have.
        let first = try SQLiteConsentStore(path: database.path)
        let second = try SQLiteConsentStore(path: database.path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in [first, second].enumerated() {
                group.addTask {
                    for n in 0..<100 {
                        try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: n % 2 == 0 ? .on : .off,
                                                                  channel: .web, at: Date(), actor: "writer\(index)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let history = try await setup.history(of: MemberID("a")!)
        #expect(history.count == 200)
        #expect(Set(history.compactMap(\.sequence)).count == 200)
        #expect(try await setup.verifyAuditChain().entries == 3 + 200)
    }
}

enum StoreContractSeed {
    static func seed(_ store: any ConsentStore) async throws {
        try await store.applyPolicy(try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "p"), actor: "test")
        let members = [MemberRecord(member: Member(id: MemberID("a")!, birthDate: CivilDate(year: 1990, month: 1, day: 1),
                                                   country: CountryCode("DE")!)),
                       MemberRecord(member: Member(id: MemberID("b")!, country: CountryCode("US")!))]
        _ = try await store.importMembers(members.enumerated().map { ImportLine(line: $0.offset + 1, record: .success($0.element)) },
                                          options: ImportOptions(source: "m", actor: "test"))
    }
}

struct SQLiteDurabilityTests {
    @Test func everyWriteConnectionUsesFullSynchronousCommits() throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        // 2 = FULL: the WAL is fsynced at every commit, so an acknowledged write survives a crash.
        #expect(try store.writerPragma("synchronous") == 2)
        #expect(try store.writerPragma("foreign_keys") == 1)
    }
}
