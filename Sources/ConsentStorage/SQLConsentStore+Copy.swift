import ConsentCore
import Foundation

/// A store whose tables can be read, all from one snapshot, by a thread that may block: where
/// `consentry migrate-store` reads. The SQLite driver is one.
public protocol SQLSnapshotSource: Sendable {
    /// Runs `body` in one read transaction on the calling thread.
    func readBlocking<T>(_ body: (any SQLConnection) throws -> T) throws -> T
}

extension SQLConsentStore {
    /// What a copy moved: rows per table, in table order (each the source's whole table).
    public struct CopyReport: Sendable {
        public var rows: [(table: String, count: Int)] = []
    }

    /// Copies every table of `source` into this store, verbatim (keys, sequence numbers,
    /// hashes), in one transaction that reads `source` from one snapshot: a failure leaves this
    /// store as it was, and writers of the source may go on. Refuses a store that holds anything.
    public func copy(from source: some SQLSnapshotSource, batchSize: Int = 20_000,
                     progress: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws -> CopyReport {
        try await driver.writeBulk { db in
            // The head's lock (PostgreSQL) keeps every writer out until the copy commits.
            let head = try db.query("SELECT sequence FROM audit_head WHERE singleton = 1\(.forUpdate)").first?.int64(0) ?? 0
            let holds = try db.query("""
                SELECT (SELECT count(*) FROM policy_versions) + (SELECT count(*) FROM members) + (SELECT count(*) FROM audit_log)
                """).first?.int(0) ?? 0
            guard head == 0, holds == 0 else {
                throw ConsentError.lineageConflict("the target store is not empty (\(holds) rows, audit head \(head)); migrate-store copies only into an empty database")
            }
            return try source.readBlocking { from in
                var report = CopyReport()
                for table in StoreTables.all {
                    let columns = table.columns.joined(separator: ", ")
                    if table.name == "audit_head" {
                        if let row = try from.query("SELECT \(identifier: columns) FROM audit_head").first {
                            try db.execute("UPDATE audit_head SET sequence = \(try row.int64(1)), hash = \(try row.text(2)) WHERE singleton = 1")
                        }
                        report.rows.append((table.name, 1))
                        continue
                    }
                    var rows = RowBatch(columns: table.columns.count, capacity: batchSize)
                    var copied = 0
                    try from.forEachRow("SELECT \(identifier: columns) FROM \(identifier: table.name) ORDER BY \(identifier: table.order)") { row in
                        rows.append(row: row.values)
                        if rows.count == batchSize {
                            try db.append(rows, into: table.name, columns: table.columns)
                            copied += rows.count
                            progress(table.name, copied)
                            rows = RowBatch(columns: table.columns.count, capacity: batchSize)
                        }
                    }
                    if !rows.isEmpty {
                        try db.append(rows, into: table.name, columns: table.columns)
                        copied += rows.count
                        progress(table.name, copied)
                    }
                    if let serial = table.serial, db.dialect == .postgres {
                        // PostgreSQL's own numbering continues after the copied keys.
                        try db.execute("""
                            SELECT setval(pg_get_serial_sequence('\(identifier: table.name)', '\(identifier: serial)'), \
                            coalesce(max(\(identifier: serial)), 1), max(\(identifier: serial)) IS NOT NULL) FROM \(identifier: table.name)
                            """)
                    }
                    report.rows.append((table.name, copied))
                }
                return report
            }
        }
    }

    /// Rows per table, for checking a copy.
    public func tableCounts() async throws -> [String: Int] {
        try await driver.read { db in
            var counts: [String: Int] = [:]
            for table in StoreTables.all {
                counts[table.name] = try db.query("SELECT count(*) FROM \(identifier: table.name)").first?.int(0) ?? 0
            }
            return counts
        }
    }
}

/// The tables of a store, parents before children: a copy keeps every key, sequence number and
/// hash exactly as it was.
enum StoreTables {
    struct Table: Sendable {
        var name: String
        var columns: [String]
        /// The ORDER BY that reads the table in a stable order.
        var order: String
        /// A key the database numbers, whose numbering must continue after the copied rows.
        var serial: String?
    }

    static let all: [Table] = [
        Table(name: "policy_versions", columns: ["version", "sha256", "canonical_json", "created_at"], order: "version"),
        Table(name: "policy_activations", columns: ["id", "version", "activated_at", "actor"], order: "id", serial: "id"),
        Table(name: "members", columns: ["member_key", "id", "birth_date", "country", "notified_at", "data", "updated_at",
                                         "facts_valid_from", "facts_recorded_at"],
              order: "member_key", serial: "member_key"),
        Table(name: "member_versions", columns: ["sequence", "member_key", "birth_date", "country", "notified_at", "valid_from",
                                                 "recorded_at", "superseded_at"], order: "sequence", serial: "sequence"),
        Table(name: "consent_events", columns: ["sequence", "member_key", "choice", "channel", "at", "actor", "recorded_at"], order: "sequence"),
        Table(name: "objections", columns: ["id", "member_key", "received_at", "contact_email", "identifiers", "language"], order: "id"),
        Table(name: "objection_events", columns: ["objection_id", "position", "kind", "at", "days", "due", "outcome", "reason", "actor", "recorded_at"],
              order: "objection_id, position"),
        Table(name: "objection_requests", columns: ["id", "email", "identifiers", "reason", "code_sha256", "created_at", "attempts", "objection_id", "email_key", "language"],
              order: "id"),
        Table(name: "audit_log", columns: ["sequence", "recorded_at", "actor", "action", "subject", "details", "hash"],
              order: "sequence"),
        Table(name: "audit_head", columns: ["singleton", "sequence", "hash"], order: "singleton"),
        Table(name: "outbox", columns: ["sequence", "id", "type", "subject", "payload", "created_at", "attempts", "next_attempt_at", "code",
                                        "delivered_at", "last_error"], order: "sequence", serial: "sequence"),
        Table(name: "datasets", columns: ["key", "id", "name", "kind", "location", "member_field", "created_at", "as_of", "policy_version",
                                          "policy_sha256", "actor"], order: "key", serial: "key"),
        Table(name: "dataset_versions", columns: ["dataset_id", "version", "state", "created_at", "manifest", "manifest_sha256", "records",
                                                  "removed_members"], order: "dataset_id, version"),
        Table(name: "dataset_members", columns: ["dataset_key", "member_key", "removed_version"], order: "dataset_key, member_key"),
        Table(name: "dataset_removals", columns: ["dataset_key", "version", "member_key"], order: "dataset_key, version, member_key"),
        Table(name: "models", columns: ["name", "registered_at", "actor"], order: "name"),
        Table(name: "model_datasets", columns: ["model", "dataset_id", "dataset_version"], order: "model, dataset_id"),
        Table(name: "idempotency_keys", columns: ["key", "kind", "reference", "created_at", "request_sha256"], order: "key"),
        Table(name: "revoked_sessions", columns: ["id", "expires_at"], order: "id"),
        Table(name: "email_verifications", columns: ["id", "member_key", "email", "email_key", "code_sha256", "created_at", "attempts",
                                                     "verified_at"], order: "id"),
    ]
}
