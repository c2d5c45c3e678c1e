import ConsentCore
import Foundation

/// The schema of both databases, as one list of numbered migrations applied in order, each in
/// its own transaction, and recorded in `schema_migrations`.
///
/// Invariants live in the schema: CHECKs, foreign keys, unique indexes, and triggers that make
/// the ledger, objection events, audit log and lineage append-only, so that no client, however
/// it connects, can rewrite history. Timestamps are microseconds since 1970 (integers), dates
/// `YYYY-MM-DD` text. The few places where the two databases spell a thing differently are the
/// cases of ``Spelling``.
///
/// Migrations 1 to 3 existed only on PostgreSQL, before both stores shared one schema; they are
/// folded into migration 4, the schema both stores had on 2026-11-30. A store made then is
/// adopted as it is (see ``adoptLegacy(_:)``).
enum Schema {
    struct Migration: Sendable {
        var version: Int
        var name: String
        var script: @Sendable (Spelling) -> String
    }

    static let migrations: [Migration] = [
        Migration(version: 4, name: "the consent store as of 2026-11-30", script: baseline),
        Migration(version: 5, name: "one storage layer", script: oneStorageLayer),
        Migration(version: 6, name: "member facts in two kinds of time", script: memberVersions),
        Migration(version: 7, name: "idempotency keys bound to their request", script: idempotencyRequests),
        Migration(version: 8, name: "objection requests counted by normalised address", script: requestCountingKeys),
        Migration(version: 9, name: "verification codes kept until delivered, never in payloads", script: outboxCodes),
        Migration(version: 10, name: "web sessions signed out", script: revokedSessions),
        Migration(version: 11, name: "members' contact addresses verified before use", script: emailVerifications),
        Migration(version: 12, name: "objections written to in the objector's language", script: objectionLanguages),
        Migration(version: 13, name: "audit entries without a copy of the previous entry's hash", script: auditWithoutPreviousHash),
        Migration(version: 14, name: "choices' members checked once per statement on PostgreSQL", script: choiceMembersPerStatement),
    ]

    static var latest: Int { migrations.last!.version }

    /// Applies every migration not yet recorded; returns their versions. Writers of every process
    /// and instance wait while a migration runs.
    static func migrate(_ connection: some SQLConnection, now: Date) throws -> [Int] {
        let spelling = Spelling(connection.dialect)
        if let lock = spelling.migrationLock { try connection.execute(SQL(stringLiteral: lock)) }
        try connection.executeScript("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                applied_at \(spelling.bigint) NOT NULL
            )
            """)
        try adoptLegacy(connection, now: now)
        let applied = Set(try connection.query("SELECT version FROM schema_migrations").map { try $0.int(0) })
        var done: [Int] = []
        for migration in migrations where !applied.contains(migration.version) {
            if migration.version == 4, try tableExists("members", connection) {
                throw ConsentError.storeUnavailable("""
                    this database holds a Consentry schema older than 2026-11-30 (migrations \(applied.sorted().map(String.init).joined(separator: ", ")) \
                    applied); open it once with the release of that day to bring it up to date, then with this one
                    """)
            }
            try connection.executeScript(migration.script(spelling))
            try connection.execute("""
                INSERT INTO schema_migrations (version, name, applied_at) \
                VALUES (\(migration.version), \(migration.name), \(Timestamp.microseconds(now)))
                """)
            done.append(migration.version)
        }
        return done
    }

    /// A SQLite file made before both stores shared this list kept its history in GRDB's
    /// `grdb_migrations`: when all five of its migrations were applied, it holds exactly
    /// migration 4's schema, which is recorded as applied. (A PostgreSQL database of that time
    /// already records 1 to 4 in `schema_migrations`.)
    static func adoptLegacy(_ connection: some SQLConnection, now: Date) throws {
        guard connection.dialect == .sqlite, try tableExists("grdb_migrations", connection),
              try connection.query("SELECT 1 FROM schema_migrations WHERE version = 4").isEmpty else { return }
        let legacy = Set(try connection.query("SELECT identifier FROM grdb_migrations").map { try $0.text(0) })
        let required = ["v1", "v2-lineage", "v3-outbox", "v4-objection-contacts", "v5-idempotency"]
        guard required.allSatisfy(legacy.contains) else {
            throw ConsentError.storeUnavailable("""
                this file holds a Consentry schema older than 2026-11-30 (\(legacy.sorted().joined(separator: ", "))); \
                open it once with the release of that day to bring it up to date, then with this one
                """)
        }
        try connection.execute("""
            INSERT INTO schema_migrations (version, name, applied_at) VALUES (4, 'adopted from grdb_migrations', \(Timestamp.microseconds(now)))
            """)
    }

    static func tableExists(_ name: String, _ connection: some SQLConnection) throws -> Bool {
        switch connection.dialect {
        case .sqlite: try !connection.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = \(name)").isEmpty
        case .postgres: try !connection.query("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = \(name)").isEmpty
        }
    }

    // MARK: The migrations

    /// Every table as both stores had it on 2026-11-30.
    @Sendable static func baseline(_ s: Spelling) -> String {
        """
        \(s.refuseChangeFunction)
        CREATE TABLE policy_versions (
            version TEXT PRIMARY KEY NOT NULL CHECK (length(version) > 0),
            sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
            canonical_json TEXT NOT NULL\(s.jsonCheck("canonical_json")),
            created_at \(s.bigint) NOT NULL
        );
        CREATE TABLE policy_activations (
            id \(s.serialKey(neverReused: true)),
            version TEXT NOT NULL REFERENCES policy_versions(version),
            activated_at \(s.bigint) NOT NULL,
            actor TEXT NOT NULL
        );
        \(s.only(.postgres, s.appendOnly("policy_versions") + s.appendOnly("policy_activations")))

        CREATE TABLE members (
            member_key \(s.serialKey(neverReused: false)),
            id TEXT NOT NULL UNIQUE CHECK (\(s.byteLength("id")) BETWEEN 1 AND 256),
            birth_date TEXT CHECK (birth_date IS NULL OR \(s.matches("birth_date", glob: "[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]", regex: "^[0-9]{4}-[0-1][0-9]-[0-3][0-9]$"))),
            country TEXT NOT NULL CHECK (\(s.matches("country", glob: "[A-Z][A-Z]", regex: "^[A-Z]{2}$", length: 2))),
            notified_at \(s.bigint),
            data TEXT NOT NULL DEFAULT '{}',
            updated_at \(s.bigint) NOT NULL
        );
        \(s.only(.sqlite, """
            -- Covering, in id order: SQLite's decisions for every member read this index alone.
            CREATE INDEX members_for_decisions ON members(id, member_key, birth_date, country, notified_at);
            """))
        CREATE TABLE consent_events (
            sequence \(s.serialKey(neverReused: true)),
            member_key \(s.bigint) NOT NULL REFERENCES members(member_key),
            choice TEXT NOT NULL CHECK (choice IN ('on', 'off')),
            channel TEXT NOT NULL CHECK (channel IN ('web', 'ios', 'android', 'api', 'gpc', 'import')),
            at \(s.bigint) NOT NULL,
            actor TEXT NOT NULL,
            recorded_at \(s.bigint) NOT NULL,
            CHECK (channel <> 'gpc' OR choice = 'off')
        );
        -- Covering: a member's history, in decision order, without touching the table.
        \(s.coveringIndex("consent_events_by_member", on: "consent_events", keys: "member_key, at, sequence", including: "choice, channel"))
        \(s.appendOnly("consent_events"))

        CREATE TABLE objections (
            id TEXT PRIMARY KEY NOT NULL,
            member_key \(s.bigint) REFERENCES members(member_key),
            received_at \(s.bigint) NOT NULL,
            contact_email TEXT CHECK (contact_email IS NULL OR length(contact_email) BETWEEN 3 AND 254),
            identifiers TEXT\(s.only(.sqlite, " CHECK (identifiers IS NULL OR json_valid(identifiers))")),
            CHECK (member_key IS NOT NULL OR (contact_email IS NOT NULL AND identifiers IS NOT NULL))
        );
        CREATE INDEX objections_by_member ON objections(member_key);
        \(s.dialect == .sqlite ? s.refuse("DELETE", on: "objections", trigger: "objections_no_delete") : s.appendOnly("objections"))
        CREATE TABLE objection_events (
            objection_id TEXT NOT NULL REFERENCES objections(id),
            position INTEGER NOT NULL CHECK (position >= 0),
            kind TEXT NOT NULL CHECK (kind IN ('received', 'extended', 'decided', 'completed')),
            at \(s.bigint) NOT NULL,
            days INTEGER,
            due \(s.bigint),
            outcome TEXT CHECK (outcome IN ('uphold', 'reject')),
            reason TEXT,
            actor TEXT NOT NULL,
            recorded_at \(s.bigint) NOT NULL,
            PRIMARY KEY (objection_id, position),
            CHECK ((kind = 'received') = (position = 0)),
            CHECK (kind <> 'extended' OR (days > 0 AND due IS NOT NULL AND length(reason) > 0)),
            CHECK (kind <> 'decided' OR (outcome IS NOT NULL AND length(reason) > 0)),
            CHECK (kind <> 'completed' OR length(reason) > 0)
        );
        \(s.appendOnly("objection_events"))

        -- A non-member's objection until the code sent to the address comes back: only the
        -- attempts counter and, once, the objection it became may change.
        CREATE TABLE objection_requests (
            id TEXT PRIMARY KEY NOT NULL,
            email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
            identifiers TEXT NOT NULL\(s.jsonCheck("identifiers")),
            reason TEXT,
            code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
            created_at \(s.bigint) NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            objection_id TEXT UNIQUE REFERENCES objections(id)
        );
        \(s.dialect == .sqlite ? "CREATE INDEX objection_requests_by_email ON objection_requests(email COLLATE NOCASE, created_at);"
                               : "CREATE INDEX objection_requests_by_email ON objection_requests(lower(email), created_at);")
        \(s.guarded("objection_requests", sqliteTrigger: "objection_requests_fixed", when: """
            NEW.id <> OLD.id OR NEW.email <> OLD.email OR NEW.identifiers <> OLD.identifiers
               OR NEW.code_sha256 <> OLD.code_sha256 OR NEW.created_at <> OLD.created_at
               OR OLD.objection_id IS NOT NULL OR NEW.attempts < OLD.attempts
            """, message: "an objection request only counts attempts, until verified"))

        CREATE TABLE audit_log (
            sequence \(s.bigint) PRIMARY KEY,
            recorded_at \(s.bigint) NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            details TEXT NOT NULL,
            previous_hash TEXT NOT NULL CHECK (length(previous_hash) = 64),
            hash TEXT NOT NULL CHECK (length(hash) = 64)
        );
        \(s.dialect == .sqlite ? "CREATE INDEX audit_log_by_time ON audit_log(recorded_at);"
                               : "CREATE INDEX audit_log_by_time ON audit_log USING brin (recorded_at);")
        \(s.appendOnly("audit_log"))
        -- The last entry, so that cutting entries off the end is noticed; every writer reads it
        -- first (PostgreSQL: with its row lock), so all extend one chain, in order.
        CREATE TABLE audit_head (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            sequence \(s.bigint) NOT NULL,
            hash TEXT NOT NULL
        );
        \(s.only(.postgres, "INSERT INTO audit_head VALUES (1, 0, '\(String(repeating: "0", count: 64))');"))

        -- Events to deliver, written in the transaction of the change they report. Only the
        -- delivery columns ever change; rows are never deleted.
        CREATE TABLE outbox (
            sequence \(s.serialKey(neverReused: true)),
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL CHECK (length(type) > 0),
            subject TEXT NOT NULL,
            payload TEXT NOT NULL\(s.jsonCheck("payload")),
            created_at \(s.bigint) NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            next_attempt_at \(s.bigint),
            delivered_at \(s.bigint),
            last_error TEXT
        );
        CREATE INDEX outbox_pending ON outbox(sequence) WHERE delivered_at IS NULL;
        \(s.guarded("outbox", sqliteTrigger: "outbox_payload_is_fixed", when: """
            NEW.id <> OLD.id OR NEW.type <> OLD.type OR NEW.subject <> OLD.subject
               OR NEW.payload <> OLD.payload OR NEW.created_at <> OLD.created_at OR NEW.sequence <> OLD.sequence
               OR OLD.delivered_at IS NOT NULL
            """, message: "an outbox event is fixed once written, and final once delivered"))

        CREATE TABLE datasets (
            key \(s.serialKey(neverReused: false)),
            id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL CHECK (length(name) > 0),
            kind TEXT NOT NULL CHECK (kind IN ('export', 'filter')),
            location TEXT NOT NULL CHECK (substr(location, 1, 1) = '/'),
            member_field TEXT NOT NULL CHECK (length(member_field) > 0),
            created_at \(s.bigint) NOT NULL,
            as_of \(s.bigint) NOT NULL,
            policy_version TEXT,
            policy_sha256 TEXT,
            actor TEXT NOT NULL
        );
        \(s.appendOnly("datasets"))
        -- Version 1 is what was written; each purge adds one. Only a pending version may
        -- change, once, to committed or abandoned.
        CREATE TABLE dataset_versions (
            dataset_id TEXT NOT NULL REFERENCES datasets(id),
            version INTEGER NOT NULL CHECK (version >= 1),
            state TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'abandoned')),
            created_at \(s.bigint) NOT NULL,
            manifest TEXT NOT NULL\(s.jsonCheck("manifest")),
            manifest_sha256 TEXT NOT NULL CHECK (length(manifest_sha256) = 64),
            records \(s.bigint) NOT NULL CHECK (records >= 0),
            removed_members \(s.bigint) NOT NULL CHECK (removed_members >= 0),
            PRIMARY KEY (dataset_id, version)
        );
        \(s.guarded("dataset_versions", sqliteTrigger: "dataset_versions_settle_once", when: """
            OLD.state <> 'pending' OR NEW.state = 'pending' OR NEW.manifest <> OLD.manifest
               OR NEW.records <> OLD.records OR NEW.version <> OLD.version OR NEW.dataset_id <> OLD.dataset_id
            """, message: "only a pending dataset version may be settled, once"))
        -- Which members a dataset holds; a committed purge sets removed_version, once. Members
        -- and removals name a dataset by its integer key: a million rows per export stay small.
        CREATE TABLE dataset_members (
            dataset_key \(s.bigint) NOT NULL REFERENCES datasets(key),
            member_key \(s.bigint) NOT NULL REFERENCES members(member_key),
            removed_version INTEGER,
            PRIMARY KEY (dataset_key, member_key)
        )\(s.withoutRowID);
        -- SQLite's lineage probes each dataset's primary key (datasets are few, members many), so
        -- an export's million rows append to one B-tree only; PostgreSQL's planner wants the index.
        \(s.only(.postgres, "CREATE INDEX dataset_members_by_member ON dataset_members(member_key);"))
        \(s.guarded("dataset_members", sqliteTrigger: "dataset_members_remove_once", when: """
            OLD.removed_version IS NOT NULL OR NEW.removed_version IS NULL
               OR NEW.dataset_key <> OLD.dataset_key OR NEW.member_key <> OLD.member_key
            """, message: "a member is removed from a dataset once, and never restored"))
        -- The members a purge version removes, recorded before its files are put in place.
        CREATE TABLE dataset_removals (
            dataset_key \(s.bigint) NOT NULL REFERENCES datasets(key),
            version INTEGER NOT NULL,
            member_key \(s.bigint) NOT NULL REFERENCES members(member_key),
            PRIMARY KEY (dataset_key, version, member_key)
        )\(s.withoutRowID);
        \(s.appendOnly("dataset_removals"))

        CREATE TABLE models (
            name TEXT PRIMARY KEY NOT NULL CHECK (length(name) > 0),
            registered_at \(s.bigint) NOT NULL,
            actor TEXT NOT NULL
        );
        CREATE TABLE model_datasets (
            model TEXT NOT NULL REFERENCES models(name),
            dataset_id TEXT NOT NULL REFERENCES datasets(id),
            dataset_version INTEGER NOT NULL,
            PRIMARY KEY (model, dataset_id)
        );
        CREATE INDEX model_datasets_by_dataset ON model_datasets(dataset_id);
        \(s.appendOnly("models"))
        \(s.appendOnly("model_datasets"))

        -- Idempotency keys, kept with the write they protect, in its transaction, so that a
        -- retry on any instance finds them. `reference` is the ledger sequence or the objection id.
        CREATE TABLE idempotency_keys (
            key TEXT PRIMARY KEY NOT NULL CHECK (length(key) = 64),
            kind TEXT NOT NULL CHECK (kind IN ('choice', 'objection')),
            reference TEXT NOT NULL,
            created_at \(s.bigint) NOT NULL
        );
        \(s.refuse("UPDATE", on: "idempotency_keys", trigger: "idempotency_keys_no_update"))
        """
    }

    /// What the one storage layer needs of both stores alike.
    @Sendable static func oneStorageLayer(_ s: Spelling) -> String {
        """
        -- Both stores read the chain's head from its row: a SQLite file with no entries yet has none.
        INSERT INTO audit_head (singleton, sequence, hash)
            SELECT 1, 0, '\(String(repeating: "0", count: 64))' WHERE NOT EXISTS (SELECT 1 FROM audit_head);
        -- The storage layer numbers the ledger itself (one multi-row append per group commit,
        -- imports in file order), under the head's lock: no default may number it behind its back.
        \(s.only(.postgres, "ALTER TABLE consent_events ALTER COLUMN sequence DROP DEFAULT;"))
        -- Requests are counted by address compared without case, the same expression in both stores.
        \(s.only(.sqlite, """
            DROP INDEX objection_requests_by_email;
            CREATE INDEX objection_requests_by_email ON objection_requests(lower(email), created_at);
            """))
        -- Policy versions, their activations and objections are append-only in both stores.
        \(s.only(.sqlite, s.appendOnly("policy_versions") + s.appendOnly("policy_activations")
                          + s.refuse("UPDATE", on: "objections", trigger: "objections_no_update")))
        """
    }
}

extension Schema {
    /// A member's facts are versioned, never overwritten: the row in `members` holds the latest
    /// version, with the instant it is valid from (NULL: the beginning) and the instant it was
    /// recorded; a trigger keeps every version it replaces in `member_versions`, whatever
    /// writes the row. Stores made before keep their members' facts as valid from the beginning,
    /// recorded when last imported.
    @Sendable static func memberVersions(_ s: Spelling) -> String {
        let archive = """
            INSERT INTO member_versions (member_key, birth_date, country, notified_at, valid_from, recorded_at, superseded_at)
                VALUES (OLD.member_key, OLD.birth_date, OLD.country, OLD.notified_at, OLD.facts_valid_from, OLD.facts_recorded_at, NEW.facts_recorded_at);
            """
        return """
            ALTER TABLE members ADD COLUMN facts_valid_from \(s.bigint);
            ALTER TABLE members ADD COLUMN facts_recorded_at \(s.bigint) NOT NULL DEFAULT 0;
            UPDATE members SET facts_recorded_at = updated_at;
            \(s.only(.sqlite, """
                DROP INDEX members_for_decisions;
                CREATE INDEX members_for_decisions ON members(id, member_key, birth_date, country, notified_at, facts_valid_from, facts_recorded_at);
                """))
            CREATE TABLE member_versions (
                sequence \(s.serialKey(neverReused: true)),
                member_key \(s.bigint) NOT NULL REFERENCES members(member_key),
                birth_date TEXT,
                country TEXT NOT NULL,
                notified_at \(s.bigint),
                valid_from \(s.bigint),
                recorded_at \(s.bigint) NOT NULL,
                superseded_at \(s.bigint) NOT NULL
            );
            CREATE INDEX member_versions_by_member ON member_versions(member_key, sequence);
            \(s.appendOnly("member_versions"))
            \(s.dialect == .sqlite ? """
                CREATE TRIGGER members_keep_versions AFTER UPDATE OF facts_recorded_at ON members
                    WHEN OLD.facts_recorded_at IS NOT NEW.facts_recorded_at
                BEGIN
                    \(archive)
                END;
                """ : """
                CREATE FUNCTION members_keep_versions() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    \(archive)
                    RETURN NEW;
                END $$;
                CREATE TRIGGER members_keep_versions AFTER UPDATE ON members FOR EACH ROW
                    WHEN (OLD.facts_recorded_at IS DISTINCT FROM NEW.facts_recorded_at) EXECUTE FUNCTION members_keep_versions();
                """)
            """
    }
}

/// How each database spells the few things that differ. Everything else in the schema is
/// written once.
struct Spelling: Sendable {
    let dialect: SQLDialect

    init(_ dialect: SQLDialect) { self.dialect = dialect }

    /// The 64-bit integer type: SQLite's INTEGER is already 64 bits.
    var bigint: String { dialect == .sqlite ? "INTEGER" : "BIGINT" }

    /// An integer primary key the database assigns. `neverReused` keeps SQLite from handing out
    /// a number again after the highest row was removed (rows never are, but the ledger promises it).
    func serialKey(neverReused: Bool) -> String {
        switch dialect {
        case .sqlite: neverReused ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "INTEGER PRIMARY KEY"
        case .postgres: "BIGSERIAL PRIMARY KEY"
        }
    }

    /// SQLite checks JSON text where it is stored; PostgreSQL keeps text as given.
    func jsonCheck(_ column: String) -> String { dialect == .sqlite ? " CHECK (json_valid(\(column)))" : "" }

    func byteLength(_ column: String) -> String {
        dialect == .sqlite ? "length(CAST(\(column) AS BLOB))" : "octet_length(\(column))"
    }

    /// `column` matches a pattern: a GLOB in SQLite (with a length check where the GLOB alone
    /// would allow more), a regular expression in PostgreSQL.
    func matches(_ column: String, glob: String, regex: String, length: Int? = nil) -> String {
        switch dialect {
        case .sqlite: (length.map { "length(\(column)) = \($0) AND " } ?? "") + "\(column) GLOB '\(glob)'"
        case .postgres: "\(column) ~ '\(regex)'"
        }
    }

    var withoutRowID: String { dialect == .sqlite ? " WITHOUT ROWID" : "" }

    /// An index that answers from itself: SQLite keys every column, PostgreSQL includes the rest.
    func coveringIndex(_ name: String, on table: String, keys: String, including: String) -> String {
        switch dialect {
        case .sqlite: "CREATE INDEX \(name) ON \(table)(\(keys), \(including));"
        case .postgres: "CREATE INDEX \(name) ON \(table)(\(keys)) INCLUDE (\(including));"
        }
    }

    func only(_ dialect: SQLDialect, _ text: String) -> String { self.dialect == dialect ? text : "" }

    /// PostgreSQL's one function behind every append-only trigger.
    var refuseChangeFunction: String {
        only(.postgres, """
            CREATE FUNCTION consentry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END $$;
            """)
    }

    /// Refuses every UPDATE and DELETE of `table`'s rows.
    func appendOnly(_ table: String) -> String {
        switch dialect {
        case .sqlite:
            refuse("UPDATE", on: table, trigger: "\(table)_no_update") + "\n" + refuse("DELETE", on: table, trigger: "\(table)_no_delete")
        case .postgres:
            "CREATE TRIGGER \(table)_append_only BEFORE UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();"
        }
    }

    /// Refuses one kind of change (`UPDATE` or `DELETE`) of `table`'s rows.
    func refuse(_ operation: String, on table: String, trigger: String) -> String {
        switch dialect {
        case .sqlite:
            "CREATE TRIGGER \(trigger) BEFORE \(operation) ON \(table) BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END;"
        case .postgres:
            "CREATE TRIGGER \(trigger) BEFORE \(operation) ON \(table) FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();"
        }
    }

    /// Refuses deletes, and updates for which `condition` (over OLD and NEW) holds.
    func guarded(_ table: String, sqliteTrigger: String, when condition: String, message: String) -> String {
        switch dialect {
        case .sqlite:
            """
            CREATE TRIGGER \(sqliteTrigger) BEFORE UPDATE ON \(table) WHEN \(condition)
                BEGIN SELECT RAISE(ABORT, '\(message)'); END;
            \(refuse("DELETE", on: table, trigger: "\(table)_no_delete"))
            """
        case .postgres:
            """
            CREATE FUNCTION \(table)_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR \(condition) THEN
                    RAISE EXCEPTION '\(message)' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER \(table)_guard BEFORE UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION \(table)_guard();
            """
        }
    }

    /// Removes what ``guarded(_:sqliteTrigger:when:message:)`` created, to create it again with
    /// another condition.
    func unguarded(_ table: String, sqliteTrigger: String) -> String {
        switch dialect {
        case .sqlite: "DROP TRIGGER \(sqliteTrigger); DROP TRIGGER \(table)_no_delete;"
        case .postgres: "DROP TRIGGER \(table)_guard ON \(table); DROP FUNCTION \(table)_guard();"
        }
    }

    /// Serialises migrations across PostgreSQL instances starting at once; SQLite's write
    /// transaction already does.
    var migrationLock: String? { dialect == .postgres ? "SELECT pg_advisory_xact_lock(7215560)" : nil }
}

extension Schema {
    /// An idempotency key remembers the SHA-256 of the request it was first used for, so a
    /// later request with other content is refused rather than answered with the first one's
    /// result. Keys kept before have none and replay as they did, until they expire.
    @Sendable static func idempotencyRequests(_ s: Spelling) -> String {
        "ALTER TABLE idempotency_keys ADD COLUMN request_sha256 TEXT CHECK (request_sha256 IS NULL OR length(request_sha256) = 64);"
    }

    /// Non-members' requests are counted by a normalised form of the address (``EmailAddress/countingKey(_:)``,
    /// kept in `email_key`), so `Sam+1@Example.com` counts with `sam@example.com`; and all of
    /// them together, by time. Requests recorded before count by their lower-cased address.
    @Sendable static func requestCountingKeys(_ s: Spelling) -> String {
        """
        \(s.unguarded("objection_requests", sqliteTrigger: "objection_requests_fixed"))
        ALTER TABLE objection_requests ADD COLUMN email_key TEXT;
        UPDATE objection_requests SET email_key = lower(email);
        DROP INDEX objection_requests_by_email;
        CREATE INDEX objection_requests_by_email_key ON objection_requests(email_key, created_at);
        CREATE INDEX objection_requests_by_time ON objection_requests(created_at);
        \(s.guarded("objection_requests", sqliteTrigger: "objection_requests_fixed", when: """
            NEW.id <> OLD.id OR NEW.email <> OLD.email OR NEW.email_key IS NULL OR NEW.email_key <> OLD.email_key
               OR NEW.identifiers <> OLD.identifiers OR NEW.code_sha256 <> OLD.code_sha256 OR NEW.created_at <> OLD.created_at
               OR OLD.objection_id IS NOT NULL OR NEW.attempts < OLD.attempts
            """, message: "an objection request only counts attempts, until verified"))
        """
    }

    /// A verification code travels in the outbox event's `code` column, apart from its payload,
    /// and is forgotten (set NULL) once delivered, or once its request has expired: the payload
    /// kept for audit never holds it. Codes already in payloads move to the column when their
    /// event is undelivered, and are dropped from every payload.
    @Sendable static func outboxCodes(_ s: Spelling) -> String {
        let code = s.dialect == .sqlite ? "json_extract(payload, '$.code')" : "(payload::jsonb ->> 'code')"
        let withoutCode = s.dialect == .sqlite ? "json_remove(payload, '$.code')" : "(payload::jsonb - 'code')::text"
        return """
            \(s.unguarded("outbox", sqliteTrigger: "outbox_payload_is_fixed"))
            ALTER TABLE outbox ADD COLUMN code TEXT;
            UPDATE outbox SET code = \(code) WHERE type = 'objection.verification' AND delivered_at IS NULL;
            UPDATE outbox SET payload = \(withoutCode) WHERE type = 'objection.verification';
            \(s.guarded("outbox", sqliteTrigger: "outbox_payload_is_fixed", when: """
                NEW.id <> OLD.id OR NEW.type <> OLD.type OR NEW.subject <> OLD.subject
                   OR NEW.payload <> OLD.payload OR NEW.created_at <> OLD.created_at OR NEW.sequence <> OLD.sequence
                   OR OLD.delivered_at IS NOT NULL OR NEW.code IS NOT NULL AND (OLD.code IS NULL OR NEW.code <> OLD.code)
                """, message: "an outbox event is fixed once written (its code may only be forgotten), and final once delivered"))
            """
    }

    /// Web sessions signed out before they expired, by the SHA-256 of their nonce; a row is
    /// removed once its session would have expired anyway.
    @Sendable static func revokedSessions(_ s: Spelling) -> String {
        """
        CREATE TABLE revoked_sessions (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 64),
            expires_at \(s.bigint) NOT NULL
        );
        CREATE INDEX revoked_sessions_by_expiry ON revoked_sessions(expires_at);
        """
    }

    /// A code sent to an address a member gave, and whether it came back: until it did, nothing
    /// about the member's objections is sent there. Only the attempts counter and, once, the
    /// moment of verification change.
    @Sendable static func emailVerifications(_ s: Spelling) -> String {
        """
        CREATE TABLE email_verifications (
            id TEXT PRIMARY KEY NOT NULL,
            member_key \(s.bigint) NOT NULL REFERENCES members(member_key),
            email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
            email_key TEXT NOT NULL,
            code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
            created_at \(s.bigint) NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            verified_at \(s.bigint)
        );
        CREATE INDEX email_verifications_by_member ON email_verifications(member_key, email_key);
        \(s.guarded("email_verifications", sqliteTrigger: "email_verifications_fixed", when: """
            NEW.id <> OLD.id OR NEW.member_key <> OLD.member_key OR NEW.email <> OLD.email OR NEW.email_key <> OLD.email_key
               OR NEW.code_sha256 <> OLD.code_sha256 OR NEW.created_at <> OLD.created_at
               OR OLD.verified_at IS NOT NULL OR NEW.attempts < OLD.attempts
            """, message: "an email verification only counts attempts, until verified"))
        """
    }

    /// The language a person objected (or asked to object) in, so that every message about the
    /// objection is written to them in it. Objections and requests recorded before were made on
    /// English-only pages: `en`.
    @Sendable static func objectionLanguages(_ s: Spelling) -> String {
        let column = "language TEXT NOT NULL DEFAULT 'en' CHECK (length(language) BETWEEN 2 AND 8)"
        return """
            ALTER TABLE objections ADD COLUMN \(column);
            \(s.unguarded("objection_requests", sqliteTrigger: "objection_requests_fixed"))
            ALTER TABLE objection_requests ADD COLUMN \(column);
            \(s.guarded("objection_requests", sqliteTrigger: "objection_requests_fixed", when: """
                NEW.id <> OLD.id OR NEW.email <> OLD.email OR NEW.email_key IS NULL OR NEW.email_key <> OLD.email_key
                   OR NEW.identifiers <> OLD.identifiers OR NEW.code_sha256 <> OLD.code_sha256 OR NEW.created_at <> OLD.created_at
                   OR NEW.language <> OLD.language OR OLD.objection_id IS NOT NULL OR NEW.attempts < OLD.attempts
                """, message: "an objection request only counts attempts, until verified"))
            """
    }

    /// `audit_log.previous_hash` repeated the previous row's `hash`: verification walks the log
    /// in order and links each entry to the hash before it, and readers take that hash from the
    /// row before (``AuditChain``). Dropping it takes 64 of a row's ~330 bytes off every entry.
    @Sendable static func auditWithoutPreviousHash(_ s: Spelling) -> String {
        "ALTER TABLE audit_log DROP COLUMN previous_hash;"
    }

    /// PostgreSQL checked a choice's member with a foreign key, row by row: a query and a lock
    /// on the member's row for every choice, about 10 of the 24 s an import of 950,000 choices
    /// took. It now checks all of a statement's new choices in one query, probing the members'
    /// key for each. That check takes no lock, so what the key also guarded on the other side is
    /// refused outright: deleting a member, or changing its key (no operation does either).
    /// SQLite keeps its foreign key, whose check is one index probe inside the insert.
    @Sendable static func choiceMembersPerStatement(_ s: Spelling) -> String {
        s.only(.postgres, """
            ALTER TABLE consent_events DROP CONSTRAINT consent_events_member_key_fkey;
            CREATE FUNCTION consent_events_members_exist() RETURNS trigger LANGUAGE plpgsql
                -- A probe of members' key per new choice: a hash or merge join would read every member.
                SET enable_hashjoin = off SET enable_mergejoin = off AS $$
            DECLARE
                missing \(s.bigint);
            BEGIN
                SELECT a.member_key INTO missing FROM added a
                    WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.member_key = a.member_key) LIMIT 1;
                IF FOUND THEN
                    RAISE EXCEPTION 'a choice names member key %, which the store does not hold', missing
                        USING ERRCODE = 'foreign_key_violation';
                END IF;
                RETURN NULL;
            END $$;
            CREATE TRIGGER consent_events_members_exist AFTER INSERT ON consent_events
                REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION consent_events_members_exist();
            CREATE FUNCTION members_keep_their_keys() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.member_key = OLD.member_key THEN RETURN NEW; END IF;
                RAISE EXCEPTION 'members are never deleted and keep their key: choices refer to them'
                    USING ERRCODE = 'insufficient_privilege';
            END $$;
            CREATE TRIGGER members_keep_their_keys BEFORE DELETE OR UPDATE OF member_key ON members
                FOR EACH ROW EXECUTE FUNCTION members_keep_their_keys();
            """)
    }
}
