import ConsentCore
import ConsentSQLite
import ConsentStorage
import ConsentTesting
import Foundation
import GRDB
import Testing

/// The schema on SQLite: a file of the last release (`Tests/Fixtures/store-2026-11-30`) is
/// upgraded in place to exactly the schema a new file gets, keeping every row.
struct SQLiteSchemaTests {
    static let fixture = LegacyStores.sqliteFile

    /// Copies the fixture into `database` and returns its path.
    static func oldFile(in database: TemporaryDatabase) throws -> String {
        try FileManager.default.copyItem(atPath: fixture, toPath: database.path)
        return database.path
    }

    /// Every table's definition (whitespace and quoting aside) and columns, every index's
    /// definition and every trigger's name.
    static func shape(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var lines: [String] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT type, name, tbl_name, sql FROM sqlite_master
                WHERE name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations' ORDER BY type, name
                """) {
                let (type, name, table, sql): (String, String, String, String?) = (row[0], row[1], row[2], row[3])
                switch type {
                case "table":
                    lines.append("table \(name): \((sql ?? "").filter { !$0.isWhitespace && $0 != "\"" })")
                    for column in try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)", arguments: [name]) {
                        lines.append("  column \(column[0] as String) \(column[1] as String) notnull=\(column[2] as Int) default=\(column[3] as String? ?? "-") pk=\(column[4] as Int)")
                    }
                case "index": lines.append("index \(name) on \(table): \(sql ?? "automatic")")
                default: lines.append("\(type) \(name) on \(table)")
                }
            }
            return lines
        }
    }

    @Test func anUpgradedFileHasTheSchemaOfANewOne() throws {
        let old = try TemporaryDatabase(), new = try TemporaryDatabase()
        _ = try SQLiteConsentStore(path: try Self.oldFile(in: old))
        _ = try SQLiteConsentStore(path: new.path)
        let upgraded = try Self.shape(old.path), fresh = try Self.shape(new.path)
        #expect(upgraded.count > 100)
        for line in Set(upgraded).symmetricDifference(fresh).sorted() {
            Issue.record("only in the \(upgraded.contains(line) ? "upgraded" : "new") file: \(line)")
        }
    }

    @Test func anUpgradeKeepsEveryRowAndRecordsItsMigrations() async throws {
        let old = try TemporaryDatabase()
        let path = try Self.oldFile(in: old)
        let before = try Self.counts(path)
        let store = try SQLiteConsentStore(path: path)
        let after = try Self.counts(path)
        #expect(after.filter { before[$0.key] != nil } == before && after["member_versions"] == 0)
        #expect(before["consent_events"] == 5 && before["audit_log"] == 27 && before["dataset_members"] == 4)
        let queue = try DatabaseQueue(path: path)
        #expect(try await queue.read { try Int.fetchAll($0, sql: "SELECT version FROM schema_migrations ORDER BY version") } == Array(4...SQLiteConsentStore.schemaVersion))
        try queue.close()
        #expect(try await store.verifyAuditChain().entries == 27)
        // The undelivered verification code left its payload for the column that forgets it.
        let verification = try #require(try await store.outbox(pendingOnly: false, limit: 100).first { $0.type == OutboxEvent.verificationType })
        #expect(verification.payloadJSON == #"{"email":"someone@example.org","expires_at":"2026-12-01T00:39:04.916799Z","id":"evt_8eb62a02a5341b10","occurred_at":"2026-11-30T23:39:04.916799Z","request":"req_4c810aba43f26787","type":"objection.verification"}"#)
        #expect(verification.code == "18007432")
    }

    @Test func historyCannotBeRewrittenInAnUpgradedFile() throws {
        let old = try TemporaryDatabase()
        let path = try Self.oldFile(in: old)
        _ = try SQLiteConsentStore(path: path)
        let queue = try DatabaseQueue(path: path)
        // The last two were open in files of the last release: migration 5 closes them.
        for sql in ["UPDATE consent_events SET choice = 'on'", "DELETE FROM consent_events", "DELETE FROM audit_log",
                    "UPDATE objection_events SET reason = 'x'", "DELETE FROM dataset_members", "UPDATE models SET actor = 'x'",
                    "UPDATE policy_versions SET sha256 = sha256", "DELETE FROM policy_activations", "UPDATE objections SET received_at = 0",
                    "UPDATE objection_requests SET email_key = 'x'"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try queue.write { try $0.execute(sql: sql) } }
        }
    }

    @Test func aFileOlderThanTheLastReleaseIsRefusedAndLeftAsItWas() throws {
        let old = try TemporaryDatabase()
        let path = try Self.oldFile(in: old)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v5-idempotency'") }
        try queue.close()
        #expect {
            try SQLiteConsentStore(path: path)
        } throws: { error in
            guard case ConsentError.storeUnavailable(let message) = error else { return false }
            return message.contains("older than 2026-11-30") && message.contains("v4-objection-contacts")
        }
        let reopened = try DatabaseQueue(path: path)
        #expect(try reopened.read { try Bool.fetchOne($0, sql: "SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'") } == nil)
    }

    static func counts(_ path: String) throws -> [String: Int] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var counts: [String: Int] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('grdb_migrations', 'schema_migrations')") {
                counts[table] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)")
            }
            return counts
        }
    }
}
