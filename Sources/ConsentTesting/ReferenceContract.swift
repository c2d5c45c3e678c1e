import ConsentCore
import Foundation

/// What the database itself refuses, with Consentry's triggers in place, whoever writes to it:
/// a choice naming a member the store does not hold, and a member deleted or given another key
/// from under its choices. SQLite refuses these with a foreign key; PostgreSQL with a check of
/// each statement's new choices and a trigger on `members` (migration 14). Raw SQL, on both stores.
public enum ReferenceContract {
    public struct Case: Sendable {
        public var name: String
        /// The same text for both databases.
        public var sql: String
    }

    public static let cases: [Case] = [
        Case(name: "a choice for a member key nobody holds", sql: """
            INSERT INTO consent_events (sequence, member_key, choice, channel, at, actor, recorded_at)
            VALUES (99, 424242, 'on', 'web', 0, 'nobody', 0)
            """),
        Case(name: "one such choice among good ones, in one statement", sql: """
            INSERT INTO consent_events (sequence, member_key, choice, channel, at, actor, recorded_at)
            SELECT 100 + member_key, member_key, 'on', 'web', 0, 'someone', 0 FROM members
            UNION ALL SELECT 99, 424242, 'on', 'web', 0, 'nobody', 0
            """),
        // e has a choice and nothing else that refers to it: no dataset, no objection.
        Case(name: "a member with choices deleted", sql: "DELETE FROM members WHERE id = 'e'"),
        Case(name: "a member's key changed", sql: "UPDATE members SET member_key = 424242 WHERE id = 'e'"),
    ]

    /// Statements of the same shapes that must go through: what shows the refusals above are
    /// the references', not the way the SQL reaches the database.
    public static let accepted: [Case] = [
        Case(name: "a member's key set to itself", sql: "UPDATE members SET member_key = member_key WHERE id = 'e'"),
        Case(name: "a member's row written as it was", sql: "UPDATE members SET country = country, data = data WHERE id = 'e'"),
    ]

    /// Seeds the store (``TamperContract/seed(_:)``, and a choice of e's), runs each case's SQL
    /// through `execute`, expects every one to be refused and every accepted one to go through,
    /// and the ledger and the record to be as they were.
    public static func run(store: any LineageStore, execute: (String) async throws -> Void) async throws {
        try await TamperContract.seed(store)
        try await store.recordChoice(ConsentEvent(member: MemberID("e")!, choice: .off, channel: .web, at: StoreContract.t0, actor: "e"))
        let members = ["a", "b", "c", "d", "e"].map { MemberID($0)! }
        func ledger() async throws -> [[ConsentEvent]] {
            var histories: [[ConsentEvent]] = []
            for member in members { histories.append(try await store.history(of: member)) }
            return histories
        }
        let before = try await ledger()
        for check in cases {
            var refused = false
            do { try await execute(check.sql) } catch { refused = true }
            try StoreContract.expect(refused, "\(check.name): the database accepted it")
        }
        for check in accepted { try await execute(check.sql) }
        try StoreContract.expect(try await ledger() == before, "the ledger is as it was")
        _ = try await store.verifyAuditChain()
    }
}
