import ConsentCore
import ConsentPostgres
import ConsentStorage
import ConsentTesting
import Foundation
import Testing

/// The schema on PostgreSQL: a database of the last release (`Tests/Fixtures/store-2026-11-30`,
/// loaded with psql) is upgraded in place to exactly the schema a new database gets.
@Suite(.enabled(if: TestDatabase.available, "needs CONSENTRY_TEST_DATABASE_URL (scripts/test starts a cluster)"))
struct PostgresSchemaTests {
    /// Every column, index, constraint, trigger and function of the public schema.
    static func shape(_ store: PostgresConsentStore) async throws -> [String] {
        try await store.driver.read { db in
            var lines: [String] = []
            for (kind, sql) in [
                ("column", "SELECT table_name::text, column_name::text || ' ' || data_type::text || ' null=' || is_nullable::text || ' default=' || coalesce(column_default::text, '-') FROM information_schema.columns WHERE table_schema = 'public'"),
                ("index", "SELECT tablename::text, indexname::text || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public'"),
                ("constraint", "SELECT conrelid::regclass::text, conname::text || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace"),
                ("trigger", "SELECT tgrelid::regclass::text, tgname::text || ' ' || tgtype::text || ' ' || tgfoid::regproc::text FROM pg_trigger WHERE NOT tgisinternal"),
                ("function", "SELECT proname::text, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace"),
            ] {
                for row in try db.query(SQL(stringLiteral: sql)) {
                    // Function bodies are compared word by word: their line breaks differ, not their code.
                    let detail = try row.text(1).split(whereSeparator: \.isWhitespace).joined(separator: " ")
                    lines.append("\(kind) \(try row.text(0)): \(detail)")
                }
            }
            return lines.sorted()
        }
    }

    @Test func anUpgradedDatabaseHasTheSchemaOfANewOne() async throws {
        let old = try await TestDatabase(), new = try await TestDatabase()
        defer { Task { try? await old.drop(); try? await new.drop() } }
        try LegacyStores.loadPostgresDump(into: old.url)
        let upgraded = try await old.open(), fresh = try await new.open()
        defer { upgraded.close(); fresh.close() }
        let (upgradedShape, freshShape) = (try await Self.shape(upgraded), try await Self.shape(fresh))
        #expect(upgradedShape.count > 150)
        for line in Set(upgradedShape).symmetricDifference(freshShape).sorted() {
            Issue.record("only in the \(upgradedShape.contains(line) ? "upgraded" : "new") database: \(line)")
        }
        #expect(try await upgraded.verifyAuditChain().entries == 27)
        let counts = try await upgraded.tableCounts()
        #expect(counts["consent_events"] == 5 && counts["members"] == 6 && counts["outbox"] == 9 && counts["idempotency_keys"] == 1)
        // The undelivered verification code left its payload for the column that forgets it.
        let verification = try #require(try await upgraded.outbox(pendingOnly: false, limit: 100).first { $0.type == OutboxEvent.verificationType })
        #expect(!verification.payloadJSON.contains("code") && verification.code == "18938597")
    }
}
