import ConsentCore
import ConsentFormats
import Foundation

/// Facts changed behind Consentry's back, its triggers out of the way, as someone with write
/// access to the database would: `verifyAuditChain()` must fail and name the fact each time, on
/// both stores; an untouched store verifies.
public enum TamperContract {
    public struct Case: Sendable {
        public var name: String
        /// Run with the store's triggers disabled; the same text for both databases.
        public var sql: String
        /// What the error must say.
        public var names: String
    }

    public static let cases: [Case] = [
        Case(name: "a choice altered", sql: "UPDATE consent_events SET choice = 'on' WHERE sequence = 2", names: "ledger entry 2 (a: on via web"),
        Case(name: "a choice deleted", sql: "DELETE FROM consent_events WHERE sequence = 2", names: "ledger entry 3"),
        Case(name: "a choice inserted", sql: """
            INSERT INTO consent_events (sequence, member_key, choice, channel, at, actor, recorded_at)
            SELECT 99, member_key, 'on', 'web', 0, 'nobody', 0 FROM members WHERE id = 'b'
            """, names: "ledger entry 99 (b) has no entry in the log"),
        Case(name: "two choices swapped", sql: """
            UPDATE consent_events SET sequence = -1 WHERE sequence = 1;
            UPDATE consent_events SET sequence = 1 WHERE sequence = 2;
            UPDATE consent_events SET sequence = 2 WHERE sequence = -1
            """, names: "ledger entry 1"),
        Case(name: "a member's country altered", sql: "UPDATE members SET country = 'US' WHERE id = 'b'", names: "member b (country US"),
        Case(name: "a member's birth date altered", sql: "UPDATE members SET birth_date = '2015-01-01' WHERE id = 'c'", names: "member c"),
        Case(name: "a member deleted", sql: "DELETE FROM members WHERE id = 'd'", names: "imports member d, whom the store does not hold"),
        Case(name: "a member inserted", sql: """
            INSERT INTO members (id, birth_date, country, notified_at, data, updated_at, facts_recorded_at)
            VALUES ('z', '1990-01-01', 'DE', NULL, '{}', 0, 0)
            """, names: "member z has no import in the log"),
        Case(name: "an earlier version of a member's facts altered", sql: "UPDATE member_versions SET country = 'US'",
             names: "member a: version 1 of its facts (country US"),
        Case(name: "an earlier version of a member's facts deleted", sql: "DELETE FROM member_versions",
             names: "member a: the log records a version of its facts that the store does not hold (1 held)"),
        Case(name: "a version of a member's facts inserted", sql: """
            INSERT INTO member_versions (member_key, birth_date, country, notified_at, valid_from, recorded_at, superseded_at)
            SELECT member_key, birth_date, 'US', NULL, NULL, 0, 1 FROM members WHERE id = 'b'
            """, names: "member b: version 1 of its facts (country US, recorded 1970-01-01T00:00:00Z) was made by no import"),
        Case(name: "when a member's facts hold from altered", sql: "UPDATE members SET facts_valid_from = 0 WHERE id = 'b'",
             names: "member b: when its facts are valid from"),
        Case(name: "when a member's latest facts hold from altered", sql: "UPDATE members SET facts_valid_from = 0 WHERE id = 'a'",
             names: "member a: version 2 of its facts"),
        Case(name: "an objection's decision altered", sql: "UPDATE objection_events SET reason = 'Rejected.', outcome = 'reject' WHERE kind = 'decided'",
             names: "objection obj_c, event 1 (decided)"),
        Case(name: "an objection event deleted", sql: "DELETE FROM objection_events WHERE kind = 'decided'", names: "objection obj_c has 1 events, the log records 2"),
        Case(name: "an objection deleted", sql: "DELETE FROM objection_events WHERE objection_id = 'obj_c'; DELETE FROM objections WHERE id = 'obj_c'",
             names: "records objection obj_c, which the store does not hold"),
        Case(name: "a policy activation moved", sql: "UPDATE policy_activations SET activated_at = 0", names: "policy activation 1 (2025-11-03)"),
        Case(name: "a policy's text altered", sql: "UPDATE policy_versions SET canonical_json = replace(canonical_json, '\"minimum_age\":18', '\"minimum_age\":16')",
             names: "policy version 2025-11-03: its text no longer has its SHA-256"),
        Case(name: "a dataset moved", sql: "UPDATE datasets SET location = '/elsewhere'", names: "dataset ds_1"),
        Case(name: "a dataset's member removed", sql: "DELETE FROM dataset_members WHERE member_key = (SELECT member_key FROM members WHERE id = 'b')",
             names: "dataset ds_1"),
        Case(name: "a dataset's member swapped for another", sql: """
            UPDATE dataset_members SET member_key = (SELECT member_key FROM members WHERE id = 'a')
            WHERE member_key = (SELECT member_key FROM members WHERE id = 'b') AND dataset_key = (SELECT key FROM datasets WHERE id = 'ds_1')
            """, names: "dataset ds_1 holds other members than its registration"),
        Case(name: "a purge's removal swapped for another member", sql: """
            UPDATE dataset_members SET removed_version = NULL WHERE dataset_key = (SELECT key FROM datasets WHERE id = 'ds_2');
            UPDATE dataset_members SET removed_version = 2 WHERE dataset_key = (SELECT key FROM datasets WHERE id = 'ds_2')
              AND member_key = (SELECT member_key FROM members WHERE id = 'a')
            """, names: "dataset ds_2 version 2 removes other members"),
        Case(name: "a purge's planned removal altered", sql: """
            UPDATE dataset_removals SET member_key = (SELECT member_key FROM members WHERE id = 'a')
            WHERE dataset_key = (SELECT key FROM datasets WHERE id = 'ds_2')
            """, names: "dataset ds_2 version 2 is to remove other members"),
        Case(name: "a model's training data altered", sql: "DELETE FROM model_datasets", names: "model m1"),
        Case(name: "the log's last entry dropped", sql: "DELETE FROM audit_log WHERE sequence = (SELECT max(sequence) FROM audit_log)",
             names: "entries were cut off the end"),
        Case(name: "a log entry altered", sql: "UPDATE audit_log SET actor = 'someone else' WHERE sequence = 3", names: "entry 3"),
    ]

    /// A store holding every kind of fact: a policy, members, choices, an upheld objection, a
    /// dataset and a model.
    public static func seed(_ store: any LineageStore) async throws {
        let t0 = StoreContract.t0
        try await store.applyPolicy(try StoreContract.policy(), actor: "test")
        _ = try await store.importMembers(StoreContract.lines(["a", "b", "c", "d"].map { StoreContract.member($0) }),
                                          options: ImportOptions(source: "members.jsonl", actor: "test"))
        // a moves to France: a second version of a's facts.
        _ = try await store.importMembers(StoreContract.lines([StoreContract.member("a", country: "FR")]),
                                          options: ImportOptions(source: "members.jsonl", actor: "test"))
        // e, new, appears twice in one import (the second line's facts replace the first's, in the
        // same write); c's facts are corrected back to a day before t0.
        var corrected = StoreContract.member("c", country: "AT")
        corrected.validFrom = t0.addingTimeInterval(-86_400)
        _ = try await store.importMembers(StoreContract.lines([StoreContract.member("e"), StoreContract.member("e", country: "FR"), corrected]),
                                          options: ImportOptions(source: "more.jsonl", actor: "test"))
        try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .on, channel: .ios, at: t0, actor: "a"))
        try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .off, channel: .web, at: t0.addingTimeInterval(60), actor: "a"))
        try await store.recordChoice(ConsentEvent(member: MemberID("b")!, choice: .off, channel: .api, at: t0.addingTimeInterval(120), actor: "b"))
        try await store.registerDataset(NewDataset(id: DatasetID(rawValue: "ds_1"), name: "posts", kind: .filter, location: "/data/posts.jsonl",
                                                   memberField: "member_id", asOf: t0, policyVersion: "2025-11-03", policySHA256: nil,
                                                   manifestJSON: "{}", manifestSHA256: String(repeating: "a", count: 64), records: 2),
                                        members: [MemberID("b")!, MemberID("c")!], actor: "test")
        _ = try await store.registerModel(name: "m1", datasets: [DatasetID(rawValue: "ds_1")], actor: "test")
        let objection = Objection.file(id: ObjectionID(rawValue: "obj_c"), member: MemberID("c")!, at: t0, reason: "no",
                                       terms: ObjectionTerms(response: .months(1), maxExtension: .months(2)))
        try await store.fileObjection(objection, actor: "c")
        _ = try await store.decideObjection(objection.id, outcome: .uphold, reason: "Upheld.", at: t0.addingTimeInterval(60), actor: "privacy")
        // A second dataset, purged of b.
        let ds2 = DatasetID(rawValue: "ds_2")
        try await store.registerDataset(NewDataset(id: ds2, name: "profiles", kind: .filter, location: "/data/profiles.jsonl",
                                                   memberField: "member_id", asOf: t0, policyVersion: "2025-11-03", policySHA256: nil,
                                                   manifestJSON: "{}", manifestSHA256: String(repeating: "b", count: 64), records: 2),
                                        members: [MemberID("a")!, MemberID("b")!], actor: "test")
        try await store.beginPurge(of: ds2, version: DatasetVersion(version: 2, state: .pending, createdAt: t0, manifestJSON: "{}",
                                                                    manifestSHA256: String(repeating: "c", count: 64), records: 1, removedMembers: 1),
                                   removing: [MemberID("b")!], actor: "test")
        _ = try await store.finishPurge(of: ds2, version: 2, committed: true, actor: "test")
    }

    /// Seeds the store, checks it verifies, runs the case's SQL through `tamper`, and expects
    /// verification to fail naming the fact.
    public static func run(_ check: Case, store: any LineageStore, tamper: (String) async throws -> Void) async throws {
        try await seed(store)
        _ = try await store.verifyAuditChain()
        try await tamper(check.sql)
        do {
            let result = try await store.verifyAuditChain()
            throw ContractFailure(message: "\(check.name): verification passed (\(result.entries) entries)", file: #fileID, line: #line)
        } catch let error as ConsentError {
            switch error {
            case .factAltered, .auditChainBroken:
                try StoreContract.expect(error.description.contains(check.names), "\(check.name): \(error)")
            default:
                throw ContractFailure(message: "\(check.name): \(error)", file: #fileID, line: #line)
            }
        }
    }
}
