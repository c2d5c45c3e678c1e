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
        migrator.registerMigration("v2-lineage") { db in
            // Objections gain a `completed` step (no dataset holds the member any more). SQLite
            // cannot change a CHECK in place: rebuild the table, rows and triggers unchanged.
            try db.execute(sql: """
                CREATE TABLE objection_events_v2 (
                    objection_id TEXT NOT NULL REFERENCES objections(id),
                    position INTEGER NOT NULL CHECK (position >= 0),
                    kind TEXT NOT NULL CHECK (kind IN ('received', 'extended', 'decided', 'completed')),
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
                    CHECK (kind <> 'decided' OR (outcome IS NOT NULL AND length(reason) > 0)),
                    CHECK (kind <> 'completed' OR length(reason) > 0)
                );
                INSERT INTO objection_events_v2
                    SELECT objection_id, position, kind, at, days, due, outcome, reason, actor, recorded_at FROM objection_events;
                DROP TABLE objection_events;
                ALTER TABLE objection_events_v2 RENAME TO objection_events;
                CREATE TRIGGER objection_events_no_update BEFORE UPDATE ON objection_events
                    BEGIN SELECT RAISE(ABORT, 'objection_events is append-only'); END;
                CREATE TRIGGER objection_events_no_delete BEFORE DELETE ON objection_events
                    BEGIN SELECT RAISE(ABORT, 'objection_events is append-only'); END;

                CREATE TABLE datasets (
                    key INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL CHECK (length(name) > 0),
                    kind TEXT NOT NULL CHECK (kind IN ('export', 'filter')),
                    location TEXT NOT NULL CHECK (substr(location, 1, 1) = '/'),
                    member_field TEXT NOT NULL CHECK (length(member_field) > 0),
                    created_at INTEGER NOT NULL,
                    as_of INTEGER NOT NULL,
                    policy_version TEXT,
                    policy_sha256 TEXT,
                    actor TEXT NOT NULL
                );
                CREATE TRIGGER datasets_no_update BEFORE UPDATE ON datasets
                    BEGIN SELECT RAISE(ABORT, 'datasets rows never change'); END;
                -- Members and removals name a dataset by its integer key: a million rows per
                -- export stay small.
                CREATE TRIGGER datasets_no_delete BEFORE DELETE ON datasets
                    BEGIN SELECT RAISE(ABORT, 'datasets rows are never deleted'); END;

                -- Version 1 is what was written; each purge adds one. Only a pending version may
                -- change, once, to committed or abandoned.
                CREATE TABLE dataset_versions (
                    dataset_id TEXT NOT NULL REFERENCES datasets(id),
                    version INTEGER NOT NULL CHECK (version >= 1),
                    state TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'abandoned')),
                    created_at INTEGER NOT NULL,
                    manifest TEXT NOT NULL CHECK (json_valid(manifest)),
                    manifest_sha256 TEXT NOT NULL CHECK (length(manifest_sha256) = 64),
                    records INTEGER NOT NULL CHECK (records >= 0),
                    removed_members INTEGER NOT NULL CHECK (removed_members >= 0),
                    PRIMARY KEY (dataset_id, version)
                );
                CREATE TRIGGER dataset_versions_settle_once BEFORE UPDATE ON dataset_versions
                    WHEN OLD.state <> 'pending' OR NEW.state = 'pending' OR NEW.manifest <> OLD.manifest
                      OR NEW.records <> OLD.records OR NEW.version <> OLD.version OR NEW.dataset_id <> OLD.dataset_id
                    BEGIN SELECT RAISE(ABORT, 'only a pending dataset version may be settled, once'); END;
                CREATE TRIGGER dataset_versions_no_delete BEFORE DELETE ON dataset_versions
                    BEGIN SELECT RAISE(ABORT, 'dataset_versions is append-only'); END;

                -- Which members a dataset holds; a committed purge sets removed_version, once.
                CREATE TABLE dataset_members (
                    dataset_key INTEGER NOT NULL REFERENCES datasets(key),
                    member_key INTEGER NOT NULL REFERENCES members(member_key),
                    removed_version INTEGER,
                    PRIMARY KEY (dataset_key, member_key)
                ) WITHOUT ROWID;
                -- No index by member: lineage probes each dataset's primary key (datasets are few,
                -- members many), and an export's million rows then append to one B-tree only.
                CREATE TRIGGER dataset_members_remove_once BEFORE UPDATE ON dataset_members
                    WHEN OLD.removed_version IS NOT NULL OR NEW.removed_version IS NULL
                      OR NEW.dataset_key <> OLD.dataset_key OR NEW.member_key <> OLD.member_key
                    BEGIN SELECT RAISE(ABORT, 'a member is removed from a dataset once, and never restored'); END;
                CREATE TRIGGER dataset_members_no_delete BEFORE DELETE ON dataset_members
                    BEGIN SELECT RAISE(ABORT, 'dataset_members is append-only'); END;
                -- The members a purge version removes, recorded before its files are put in place.
                CREATE TABLE dataset_removals (
                    dataset_key INTEGER NOT NULL REFERENCES datasets(key),
                    version INTEGER NOT NULL,
                    member_key INTEGER NOT NULL REFERENCES members(member_key),
                    PRIMARY KEY (dataset_key, version, member_key)
                ) WITHOUT ROWID;
                CREATE TRIGGER dataset_removals_no_update BEFORE UPDATE ON dataset_removals
                    BEGIN SELECT RAISE(ABORT, 'dataset_removals is append-only'); END;
                CREATE TRIGGER dataset_removals_no_delete BEFORE DELETE ON dataset_removals
                    BEGIN SELECT RAISE(ABORT, 'dataset_removals is append-only'); END;

                CREATE TABLE models (
                    name TEXT PRIMARY KEY NOT NULL CHECK (length(name) > 0),
                    registered_at INTEGER NOT NULL,
                    actor TEXT NOT NULL
                );
                CREATE TABLE model_datasets (
                    model TEXT NOT NULL REFERENCES models(name),
                    dataset_id TEXT NOT NULL REFERENCES datasets(id),
                    dataset_version INTEGER NOT NULL,
                    PRIMARY KEY (model, dataset_id)
                );
                CREATE INDEX model_datasets_by_dataset ON model_datasets(dataset_id);
                CREATE TRIGGER models_no_update BEFORE UPDATE ON models
                    BEGIN SELECT RAISE(ABORT, 'models rows never change'); END;
                CREATE TRIGGER models_no_delete BEFORE DELETE ON models
                    BEGIN SELECT RAISE(ABORT, 'models rows are never deleted'); END;
                CREATE TRIGGER model_datasets_no_update BEFORE UPDATE ON model_datasets
                    BEGIN SELECT RAISE(ABORT, 'model_datasets rows never change'); END;
                CREATE TRIGGER model_datasets_no_delete BEFORE DELETE ON model_datasets
                    BEGIN SELECT RAISE(ABORT, 'model_datasets rows are never deleted'); END;
                """)
        }
        migrator.registerMigration("v3-outbox") { db in
            // Events to deliver, written in the transaction of the change they report. Only the
            // delivery columns ever change; rows are never deleted.
            try db.execute(sql: """
                CREATE TABLE outbox (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    type TEXT NOT NULL CHECK (length(type) > 0),
                    subject TEXT NOT NULL,
                    payload TEXT NOT NULL CHECK (json_valid(payload)),
                    created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    next_attempt_at INTEGER,
                    delivered_at INTEGER,
                    last_error TEXT
                );
                CREATE INDEX outbox_pending ON outbox(sequence) WHERE delivered_at IS NULL;
                CREATE TRIGGER outbox_payload_is_fixed BEFORE UPDATE ON outbox
                    WHEN NEW.id <> OLD.id OR NEW.type <> OLD.type OR NEW.subject <> OLD.subject
                      OR NEW.payload <> OLD.payload OR NEW.created_at <> OLD.created_at OR NEW.sequence <> OLD.sequence
                      OR OLD.delivered_at IS NOT NULL
                    BEGIN SELECT RAISE(ABORT, 'an outbox event is fixed once written, and final once delivered'); END;
                CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
                    BEGIN SELECT RAISE(ABORT, 'outbox events are never deleted'); END;
                """)
        }
        migrator.registerMigration("v4-objection-contacts") { db in
            // Objections gain a contact email, and non-members may object: member_key becomes
            // optional (then the verified email and identifiers are required). Rebuild the table;
            // rows stay as they were.
            try db.execute(sql: """
                CREATE TABLE objections_v4 (
                    id TEXT PRIMARY KEY NOT NULL,
                    member_key INTEGER REFERENCES members(member_key),
                    received_at INTEGER NOT NULL,
                    contact_email TEXT CHECK (contact_email IS NULL OR length(contact_email) BETWEEN 3 AND 254),
                    identifiers TEXT CHECK (identifiers IS NULL OR json_valid(identifiers)),
                    CHECK (member_key IS NOT NULL OR (contact_email IS NOT NULL AND identifiers IS NOT NULL))
                );
                INSERT INTO objections_v4 (id, member_key, received_at) SELECT id, member_key, received_at FROM objections;
                DROP TABLE objections;
                ALTER TABLE objections_v4 RENAME TO objections;
                CREATE INDEX objections_by_member ON objections(member_key);
                CREATE TRIGGER objections_no_delete BEFORE DELETE ON objections
                    BEGIN SELECT RAISE(ABORT, 'objections are never deleted'); END;

                -- A non-member's objection until the code sent to the address comes back. Only the
                -- attempts counter and the objection it became ever change.
                CREATE TABLE objection_requests (
                    id TEXT PRIMARY KEY NOT NULL,
                    email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
                    identifiers TEXT NOT NULL CHECK (json_valid(identifiers)),
                    reason TEXT,
                    code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
                    created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    objection_id TEXT UNIQUE REFERENCES objections(id)
                );
                CREATE INDEX objection_requests_by_email ON objection_requests(email COLLATE NOCASE, created_at);
                CREATE TRIGGER objection_requests_fixed BEFORE UPDATE ON objection_requests
                    WHEN NEW.id <> OLD.id OR NEW.email <> OLD.email OR NEW.identifiers <> OLD.identifiers
                      OR NEW.code_sha256 <> OLD.code_sha256 OR NEW.created_at <> OLD.created_at
                      OR OLD.objection_id IS NOT NULL OR NEW.attempts < OLD.attempts
                    BEGIN SELECT RAISE(ABORT, 'an objection request only counts attempts, until verified'); END;
                CREATE TRIGGER objection_requests_no_delete BEFORE DELETE ON objection_requests
                    BEGIN SELECT RAISE(ABORT, 'objection requests are never deleted'); END;
                """)
        }
        migrator.registerMigration("v5-idempotency") { db in
            // Idempotency keys kept with the write they protect, in its transaction, so a retry
            // on any instance finds them. `reference` is the ledger sequence or the objection id.
            try db.execute(sql: """
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY NOT NULL CHECK (length(key) = 64),
                    kind TEXT NOT NULL CHECK (kind IN ('choice', 'objection')),
                    reference TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE TRIGGER idempotency_keys_no_update BEFORE UPDATE ON idempotency_keys
                    BEGIN SELECT RAISE(ABORT, 'idempotency keys never change'); END;
                """)
        }
        return migrator
    }
}
