import ConsentCore
import ConsentSQLite
import ConsentTesting
import Foundation
import GRDB
import Testing

/// Tampering with the SQLite file directly, as someone with file access would: the triggers
/// are dropped first, then rows are altered, deleted or reordered. Verification must notice.
struct AuditTamperTests {
    func seededDatabase() async throws -> TemporaryDatabase {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await DemoData.seed(store, population: SyntheticPopulation(count: 30))
        #expect(try await store.verifyAuditChain().entries > 40)
        return database
    }

    func tamper(_ database: TemporaryDatabase, _ sql: String) throws {
        let queue = try DatabaseQueue(path: database.path)
        try queue.write { db in
            try db.execute(sql: "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete")
            try db.execute(sql: sql)
        }
    }

    func brokenEntry(_ database: TemporaryDatabase) async throws -> Int64? {
        let store = try SQLiteConsentStore(path: database.path)
        do {
            _ = try await store.verifyAuditChain()
            return nil
        } catch ConsentError.auditChainBroken(let sequence, _) {
            return sequence
        }
    }

    @Test func anAlteredEntryIsNamed() async throws {
        let database = try await seededDatabase()
        try tamper(database, "UPDATE audit_log SET subject = 'urn:li:member:999' WHERE sequence = 12")
        #expect(try await brokenEntry(database) == 12)
    }

    @Test func anAlteredTimestampIsNamed() async throws {
        let database = try await seededDatabase()
        try tamper(database, "UPDATE audit_log SET recorded_at = recorded_at + 1 WHERE sequence = 5")
        #expect(try await brokenEntry(database) == 5)
    }

    @Test func aDeletedEntryIsNoticedAtTheNextOne() async throws {
        let database = try await seededDatabase()
        try tamper(database, "DELETE FROM audit_log WHERE sequence = 20")
        #expect(try await brokenEntry(database) == 21)
    }

    @Test func reorderedEntriesAreNoticed() async throws {
        let database = try await seededDatabase()
        try tamper(database, """
            UPDATE audit_log SET sequence = -1 WHERE sequence = 7;
            UPDATE audit_log SET sequence = 7 WHERE sequence = 8;
            UPDATE audit_log SET sequence = 8 WHERE sequence = -1;
            """)
        #expect(try await brokenEntry(database) == 7)
    }

    @Test func aRehashedEntryStillBreaksTheChainAfterIt() async throws {
        let database = try await seededDatabase()
        // A forger who rewrites one entry and its hash breaks the link to the next entry.
        try tamper(database, "UPDATE audit_log SET hash = '\(String(repeating: "a", count: 64))' WHERE sequence = 3")
        let broken = try await brokenEntry(database)
        #expect(broken == 3 || broken == 4)
    }

    @Test func aCutOffTailIsNoticed() async throws {
        let database = try await seededDatabase()
        try tamper(database, "DELETE FROM audit_log WHERE sequence = (SELECT max(sequence) FROM audit_log)")
        #expect(try await brokenEntry(database) != nil)
    }

    @Test func anUntouchedChainVerifies() async throws {
        let database = try await seededDatabase()
        #expect(try await brokenEntry(database) == nil)
    }
}

/// Every kind of fact changed in the file, the triggers dropped first: `audit verify` names it.
struct FactTamperTests {
    @Test(arguments: TamperContract.cases.map(\.name))
    func aFactChangedBehindConsentrysBackIsNamed(_ name: String) async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await TamperContract.run(TamperContract.cases.first { $0.name == name }!, store: store) { sql in
            let queue = try DatabaseQueue(path: database.path)
            defer { try? queue.close() }
            try await queue.write { db in
                for trigger in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") {
                    try db.execute(sql: "DROP TRIGGER \(trigger)")
                }
                try db.execute(sql: sql)
            }
        }
    }

    @Test func theDatabaseKeepsChoicesToMembersItHolds() async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await ReferenceContract.run(store: store) { sql in
            let queue = try DatabaseQueue(path: database.path)
            defer { try? queue.close() }
            try await queue.write { db in try db.execute(sql: sql) }
        }
    }

    @Test func anUntouchedStoreVerifies() async throws {
        let database = try TemporaryDatabase()
        let store = try SQLiteConsentStore(path: database.path)
        try await TamperContract.seed(store)
        #expect(try await store.verifyAuditChain().entries > 10)
    }
}
