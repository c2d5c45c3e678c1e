/// A stored column's value, for copying a store to another kind of store verbatim.
public enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
}

/// Where `consentry migrate-store` reads: every table's rows, in a stable order, from one
/// consistent snapshot.
public protocol StoreCopySource {
    func count(_ table: StoreTables.Table) throws -> Int
    /// Rows `offset..<offset+limit` in the table's order, columns as ``StoreTables/Table/columns``.
    func rows(_ table: StoreTables.Table, offset: Int, limit: Int) throws -> [[StoredValue]]
}

/// The tables both stores share, parents before children, with the same column names: the
/// copy keeps every key, sequence number and hash exactly as it was.
public enum StoreTables {
    public struct Table: Sendable {
        public var name: String
        public var columns: [String]
        /// The ORDER BY that pages through the table.
        public var order: String
        /// A serial key column whose sequence must continue after the copied rows.
        public var serial: String?
    }

    public static let all: [Table] = [
        Table(name: "policy_versions", columns: ["version", "sha256", "canonical_json", "created_at"], order: "version"),
        Table(name: "policy_activations", columns: ["id", "version", "activated_at", "actor"], order: "id", serial: "id"),
        Table(name: "members", columns: ["member_key", "id", "birth_date", "country", "notified_at", "data", "updated_at"],
              order: "member_key", serial: "member_key"),
        Table(name: "consent_events", columns: ["sequence", "member_key", "choice", "channel", "at", "actor", "recorded_at"],
              order: "sequence", serial: "sequence"),
        Table(name: "objections", columns: ["id", "member_key", "received_at", "contact_email", "identifiers"], order: "id"),
        Table(name: "objection_events", columns: ["objection_id", "position", "kind", "at", "days", "due", "outcome", "reason", "actor", "recorded_at"],
              order: "objection_id, position"),
        Table(name: "objection_requests", columns: ["id", "email", "identifiers", "reason", "code_sha256", "created_at", "attempts", "objection_id"],
              order: "id"),
        Table(name: "audit_log", columns: ["sequence", "recorded_at", "actor", "action", "subject", "details", "previous_hash", "hash"],
              order: "sequence"),
        Table(name: "audit_head", columns: ["singleton", "sequence", "hash"], order: "singleton"),
        Table(name: "outbox", columns: ["sequence", "id", "type", "subject", "payload", "created_at", "attempts", "next_attempt_at",
                                        "delivered_at", "last_error"], order: "sequence", serial: "sequence"),
        Table(name: "datasets", columns: ["key", "id", "name", "kind", "location", "member_field", "created_at", "as_of", "policy_version",
                                          "policy_sha256", "actor"], order: "key", serial: "key"),
        Table(name: "dataset_versions", columns: ["dataset_id", "version", "state", "created_at", "manifest", "manifest_sha256", "records",
                                                  "removed_members"], order: "dataset_id, version"),
        Table(name: "dataset_members", columns: ["dataset_key", "member_key", "removed_version"], order: "dataset_key, member_key"),
        Table(name: "dataset_removals", columns: ["dataset_key", "version", "member_key"], order: "dataset_key, version, member_key"),
        Table(name: "models", columns: ["name", "registered_at", "actor"], order: "name"),
        Table(name: "model_datasets", columns: ["model", "dataset_id", "dataset_version"], order: "model, dataset_id"),
        Table(name: "idempotency_keys", columns: ["key", "kind", "reference", "created_at"], order: "key"),
    ]
}
