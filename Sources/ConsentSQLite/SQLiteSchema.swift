import GRDB

/// The schema, as migrations. Invariants live here too: CHECKs, foreign keys, unique
/// indexes, and triggers that make the ledger, objection events and audit log append-only.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE policy_versions (
                    version TEXT PRIMARY KEY NOT NULL CHECK (length(version) > 0),
                    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
                    canonical_json TEXT NOT NULL CHECK (json_valid(canonical_json)),
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE policy_activations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    version TEXT NOT NULL REFERENCES policy_versions(version),
                    activated_at INTEGER NOT NULL,
                    actor TEXT NOT NULL
                );
                CREATE TABLE members (
                    member_key INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE CHECK (length(CAST(id AS BLOB)) BETWEEN 1 AND 256),
                    birth_date TEXT CHECK (birth_date IS NULL OR birth_date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
                    country TEXT NOT NULL CHECK (length(country) = 2 AND country GLOB '[A-Z][A-Z]'),
                    notified_at INTEGER,
                    data TEXT NOT NULL DEFAULT '{}',
                    updated_at INTEGER NOT NULL
                );
                -- Covering, in id order: decisions for every member read this index alone.
                CREATE INDEX members_for_decisions ON members(id, member_key, birth_date, country, notified_at);
                CREATE TABLE consent_events (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    member_key INTEGER NOT NULL REFERENCES members(member_key),
                    choice TEXT NOT NULL CHECK (choice IN ('on', 'off')),
                    channel TEXT NOT NULL CHECK (channel IN ('web', 'ios', 'android', 'api', 'gpc', 'import')),
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    CHECK (channel <> 'gpc' OR choice = 'off')
                );
                -- Covering: a member's history, in decision order, without touching the table.
                CREATE INDEX consent_events_by_member ON consent_events(member_key, at, sequence, choice, channel);
                CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
                    BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;
                CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
                    BEGIN SELECT RAISE(ABORT, 'consent_events is append-only'); END;

                CREATE TABLE objections (
                    id TEXT PRIMARY KEY NOT NULL,
                    member_key INTEGER NOT NULL REFERENCES members(member_key),
                    received_at INTEGER NOT NULL
                );
                CREATE INDEX objections_by_member ON objections(member_key);
                CREATE TABLE objection_events (
                    objection_id TEXT NOT NULL REFERENCES objections(id),
                    position INTEGER NOT NULL CHECK (position >= 0),
                    kind TEXT NOT NULL CHECK (kind IN ('received', 'extended', 'decided')),
                    at INTEGER NOT NULL,
                    days INTEGER,
                    due INTEGER,
                    outcome TEXT CHECK (outcome IN ('uphold', 'reject')),
                    reason TEXT,
                    actor TEXT NOT NULL,
                    recorded_at INTEGER NOT NULL,
                    PRIMARY KEY (objection_id, position),
                    CHECK ((kind = 'received') = (position = 0)),
                    CHECK (kind <> 'extended' OR (days > 0 AND due IS NOT NULL AND length(reason) > 0)),
                    CHECK (kind <> 'decided' OR (outcome IS NOT NULL AND length(reason) > 0))
                );
                CREATE TRIGGER objection_events_no_update BEFORE UPDATE ON objection_events
                    BEGIN SELECT RAISE(ABORT, 'objection_events is append-only'); END;
                CREATE TRIGGER objection_events_no_delete BEFORE DELETE ON objection_events
                    BEGIN SELECT RAISE(ABORT, 'objection_events is append-only'); END;

                CREATE TABLE audit_log (
                    sequence INTEGER PRIMARY KEY,
                    recorded_at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    details TEXT NOT NULL,
                    previous_hash TEXT NOT NULL CHECK (length(previous_hash) = 64),
                    hash TEXT NOT NULL CHECK (length(hash) = 64)
                );
                CREATE INDEX audit_log_by_time ON audit_log(recorded_at);
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                -- The last entry, so that cutting entries off the end is noticed too.
                CREATE TABLE audit_head (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    sequence INTEGER NOT NULL,
                    hash TEXT NOT NULL
                );
                """)
        }
        return migrator
    }
}
