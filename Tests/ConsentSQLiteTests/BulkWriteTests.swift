import ConsentCore
import ConsentSQLite
@testable import ConsentStorage
import ConsentTesting
import Foundation
import GRDB
import Testing

/// A bulk write (an import) uses a rollback journal only when no other connection has the file
/// open, puts the file back in WAL mode with `synchronous = FULL` afterwards, and never lets
/// another connection read half of it.
struct SQLiteBulkWriteTests {
    static func journalMode(_ db: some SQLConnection) throws -> String { try db.query("PRAGMA journal_mode").first!.text(0) }

    static func members(_ db: some SQLConnection) throws -> Int { try db.query("SELECT count(*) FROM members").first!.int(0) }

    static func fileJournalMode(_ path: String) throws -> String? {
        try DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
    }

    @Test func aBulkWriteAloneUsesARollbackJournalThenTheFileIsBackInWALMode() async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        let inside = try await store.driver.writeBulk { db in
            (mode: try Self.journalMode(db), synchronous: try db.query("PRAGMA synchronous").first!.int(0),
             temporary: try db.query("PRAGMA temp_store").first!.int(0))
        }
        // 3 = EXTRA: the directory is synced once the journal is deleted (the commit point).
        // 2 = MEMORY: statement journals are kept in memory.
        #expect(inside.mode == "delete" && inside.synchronous == 3 && inside.temporary == 2)
        #expect(try store.writerPragma("synchronous") == 2)
        #expect(try store.writerPragma("temp_store") == 0)
        #expect(try Self.fileJournalMode(database.path) == "wal")
        #expect(!FileManager.default.fileExists(atPath: database.path + "-journal"))
    }

    @Test func aBulkWriteStaysInWALModeWhileAnotherConnectionHoldsTheFile() async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await StoreContractSeed.seed(store)
        // Another process's pool: its writer read the schema when it opened, and holds the file.
        let other = try SQLiteConsentStore(path: database.path)
        #expect(try await store.driver.writeBulk { db in try Self.journalMode(db) } == "wal")
        _ = other
        // This pool's own reader holds it too, once it has read.
        let alone = try SQLiteConsentStore(path: database.path + "2")
        _ = try await alone.member(MemberID("a")!)
        #expect(try await alone.driver.writeBulk { db in try Self.journalMode(db) } == "wal")
        // Either way the import itself goes through.
        let report = try await store.importMembers(StoreContract.lines([StoreContract.member("c")]), options: ImportOptions(source: "m", actor: "test"))
        #expect(report.imported == 1)
        #expect(try await other.member(MemberID("c")!) != nil)
    }

    @Test func aFailedBulkWriteLeavesNothingAndTheFileInWALMode() async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await StoreContractSeed.seed(store)
        await #expect(throws: ConsentError.self) {
            try await store.driver.writeBulk { db in
                try db.execute("INSERT INTO members (id, country, updated_at, facts_recorded_at) VALUES ('c', 'FR', 0, 0)")
                #expect(try Self.members(db) == 3 && Self.journalMode(db) == "delete")
                throw ConsentError.invalidRecord(source: "test", line: 1, field: "id", message: "refused by the test")
            }
        }
        #expect(try await store.driver.write { db in try Self.members(db) } == 2)
        #expect(try store.writerPragma("synchronous") == 2)
        #expect(try Self.fileJournalMode(database.path) == "wal")
    }

    @Test func anotherProcessOpeningTheFileDuringABulkWriteWaitsForItsCommit() async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await StoreContractSeed.seed(store)
        let inside = SendableFlag()
        let writing = Task {
            try await store.driver.writeBulk { db in
                try db.execute("INSERT INTO members (id, country, updated_at, facts_recorded_at) VALUES ('c', 'FR', 0, 0)")
                let mode = try Self.journalMode(db)
                inside.set()
                Thread.sleep(forTimeInterval: 0.5)
                return mode
            }
        }
        while !inside.isSet { try await Task.sleep(for: .milliseconds(5)) }
        // Opening migrates, which writes: it waits (busy timeout) for the bulk write's commit,
        // and then reads all of it.
        let later = try SQLiteConsentStore(path: database.path)
        #expect(try await later.driver.read { db in try Self.members(db) } == 3)
        #expect(try await writing.value == "delete")
        #expect(try Self.fileJournalMode(database.path) == "wal")
    }
}

/// A flag one thread sets and another polls.
final class SendableFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// The table of id hashes a member import keeps to tell a file's first line of an id.
struct SeenHashesTests {
    @Test func aHashIsNewOnceAndSeenEverAfterThroughGrowth() {
        var seen = SeenHashes()
        var generator = SystemRandomNumberGenerator()
        let hashes = (0..<200_000).map { _ in Int.random(in: .min ... .max, using: &generator) }
        #expect(hashes.allSatisfy { seen.insert($0) })
        #expect(hashes.allSatisfy { !seen.insert($0) })
        // Hashes equal in their low bits probe on; 0 shares 1's slot (its line is then upserted).
        #expect(seen.insert(1 << 40) && seen.insert(2 << 40) && !seen.insert(1 << 40))
        #expect(seen.insert(0) && !seen.insert(1))
    }
}
