import Foundation

/// The PostgreSQL schema, as numbered migrations applied in order at start-up (or by
/// `consentry migrate`), each in its own transaction and recorded in `schema_migrations`.
///
/// The concepts are the SQLite store's: timestamps are microseconds since 1970 (BIGINT), dates
/// `YYYY-MM-DD` text; the ledger, objection events, audit log and lineage refuse UPDATE and
/// DELETE in the database itself (triggers), so no client, however it connects, can rewrite
/// history. Every write transaction locks the single `audit_head` row first: writers from any
/// number of instances extend one hash chain, in order.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        var sql: String

        /// The statements one by one (the extended protocol runs one per query): split at `;`
        /// outside quotes, comments and `$$` bodies.
        var statements: [String] {
            var statements: [String] = []
            var current = ""
            var inDollar = false, inQuote = false, inComment = false
            var previous: Character = " "
            for character in sql {
                current.append(character)
                if inComment {
                    if character == "\n" { inComment = false }
                } else if character == "$" && previous == "$" && !inQuote {
                    inDollar.toggle()
                } else if character == "'" && !inDollar {
                    inQuote.toggle()
                } else if character == "-" && previous == "-" && !inQuote && !inDollar {
                    inComment = true
                } else if character == ";" && !inQuote && !inDollar {
                    let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                    if statement != ";" { statements.append(statement) }
                    current = ""
                }
                previous = character
            }
            if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { statements.append(current) }
            return statements
        }
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "consent store", sql: """
            CREATE FUNCTION consentry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END $$;

            CREATE TABLE policy_versions (
                version TEXT PRIMARY KEY CHECK (length(version) > 0),
                sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
                canonical_json TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE TABLE policy_activations (
                id BIGSERIAL PRIMARY KEY,
                version TEXT NOT NULL REFERENCES policy_versions(version),
                activated_at BIGINT NOT NULL,
                actor TEXT NOT NULL
            );
            CREATE TRIGGER policy_versions_append_only BEFORE UPDATE OR DELETE ON policy_versions
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();
            CREATE TRIGGER policy_activations_append_only BEFORE UPDATE OR DELETE ON policy_activations
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();

            CREATE TABLE members (
                member_key BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE CHECK (octet_length(id) BETWEEN 1 AND 256),
                birth_date TEXT CHECK (birth_date IS NULL OR birth_date ~ '^[0-9]{4}-[0-1][0-9]-[0-3][0-9]$'),
                country TEXT NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
                notified_at BIGINT,
                data TEXT NOT NULL DEFAULT '{}',
                updated_at BIGINT NOT NULL
            );
            CREATE TABLE consent_events (
                sequence BIGSERIAL PRIMARY KEY,
                member_key BIGINT NOT NULL REFERENCES members(member_key),
                choice TEXT NOT NULL CHECK (choice IN ('on', 'off')),
                channel TEXT NOT NULL CHECK (channel IN ('web', 'ios', 'android', 'api', 'gpc', 'import')),
                at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                recorded_at BIGINT NOT NULL,
                CHECK (channel <> 'gpc' OR choice = 'off')
            );
            CREATE INDEX consent_events_by_member ON consent_events(member_key, at, sequence) INCLUDE (choice, channel);
            CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();

            CREATE TABLE objections (
                id TEXT PRIMARY KEY,
                member_key BIGINT REFERENCES members(member_key),
                received_at BIGINT NOT NULL,
                contact_email TEXT CHECK (contact_email IS NULL OR length(contact_email) BETWEEN 3 AND 254),
                identifiers TEXT,
                CHECK (member_key IS NOT NULL OR (contact_email IS NOT NULL AND identifiers IS NOT NULL))
            );
            CREATE INDEX objections_by_member ON objections(member_key);
            CREATE TRIGGER objections_append_only BEFORE UPDATE OR DELETE ON objections
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();
            CREATE TABLE objection_events (
                objection_id TEXT NOT NULL REFERENCES objections(id),
                position INTEGER NOT NULL CHECK (position >= 0),
                kind TEXT NOT NULL CHECK (kind IN ('received', 'extended', 'decided', 'completed')),
                at BIGINT NOT NULL,
                days INTEGER,
                due BIGINT,
                outcome TEXT CHECK (outcome IN ('uphold', 'reject')),
                reason TEXT,
                actor TEXT NOT NULL,
                recorded_at BIGINT NOT NULL,
                PRIMARY KEY (objection_id, position),
                CHECK ((kind = 'received') = (position = 0)),
                CHECK (kind <> 'extended' OR (days > 0 AND due IS NOT NULL AND length(reason) > 0)),
                CHECK (kind <> 'decided' OR (outcome IS NOT NULL AND length(reason) > 0)),
                CHECK (kind <> 'completed' OR length(reason) > 0)
            );
            CREATE TRIGGER objection_events_append_only BEFORE UPDATE OR DELETE ON objection_events
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();

            -- A non-member's objection until the code comes back: only the attempts counter and,
            -- once, the objection it became may change.
            CREATE TABLE objection_requests (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
                identifiers TEXT NOT NULL,
                reason TEXT,
                code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
                created_at BIGINT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                objection_id TEXT UNIQUE REFERENCES objections(id)
            );
            CREATE INDEX objection_requests_by_email ON objection_requests(lower(email), created_at);
            CREATE FUNCTION objection_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR NEW.id <> OLD.id OR NEW.email <> OLD.email OR NEW.identifiers <> OLD.identifiers
                   OR NEW.code_sha256 <> OLD.code_sha256 OR NEW.created_at <> OLD.created_at
                   OR OLD.objection_id IS NOT NULL OR NEW.attempts < OLD.attempts THEN
                    RAISE EXCEPTION 'an objection request only counts attempts, until verified' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER objection_requests_guard BEFORE UPDATE OR DELETE ON objection_requests
                FOR EACH ROW EXECUTE FUNCTION objection_requests_guard();

            CREATE TABLE audit_log (
                sequence BIGINT PRIMARY KEY,
                recorded_at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                details TEXT NOT NULL,
                previous_hash TEXT NOT NULL CHECK (length(previous_hash) = 64),
                hash TEXT NOT NULL CHECK (length(hash) = 64)
            );
            CREATE INDEX audit_log_by_time ON audit_log(recorded_at);
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();
            -- The last entry, so that cutting entries off the end is noticed; its row lock
            -- serialises every writer.
            CREATE TABLE audit_head (
                singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                sequence BIGINT NOT NULL,
                hash TEXT NOT NULL
            );
            INSERT INTO audit_head VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

            -- Events to deliver, written in the transaction of the change they report. Only the
            -- delivery columns ever change; rows are never deleted.
            CREATE TABLE outbox (
                sequence BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                type TEXT NOT NULL CHECK (length(type) > 0),
                subject TEXT NOT NULL,
                payload TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                next_attempt_at BIGINT,
                delivered_at BIGINT,
                last_error TEXT
            );
            CREATE INDEX outbox_pending ON outbox(sequence) WHERE delivered_at IS NULL;
            CREATE FUNCTION outbox_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR NEW.id <> OLD.id OR NEW.type <> OLD.type OR NEW.subject <> OLD.subject
                   OR NEW.payload <> OLD.payload OR NEW.created_at <> OLD.created_at OR NEW.sequence <> OLD.sequence
                   OR OLD.delivered_at IS NOT NULL THEN
                    RAISE EXCEPTION 'an outbox event is fixed once written, and final once delivered' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER outbox_guard BEFORE UPDATE OR DELETE ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_guard();
            """),
        Migration(version: 2, name: "datasets, models and lineage", sql: """
            CREATE TABLE datasets (
                key BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL CHECK (length(name) > 0),
                kind TEXT NOT NULL CHECK (kind IN ('export', 'filter')),
                location TEXT NOT NULL CHECK (substr(location, 1, 1) = '/'),
                member_field TEXT NOT NULL CHECK (length(member_field) > 0),
                created_at BIGINT NOT NULL,
                as_of BIGINT NOT NULL,
                policy_version TEXT,
                policy_sha256 TEXT,
                actor TEXT NOT NULL
            );
            CREATE TRIGGER datasets_append_only BEFORE UPDATE OR DELETE ON datasets
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();

            -- Version 1 is what was written; each purge adds one. Only a pending version may
            -- change, once, to committed or abandoned.
            CREATE TABLE dataset_versions (
                dataset_id TEXT NOT NULL REFERENCES datasets(id),
                version INTEGER NOT NULL CHECK (version >= 1),
                state TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'abandoned')),
                created_at BIGINT NOT NULL,
                manifest TEXT NOT NULL,
                manifest_sha256 TEXT NOT NULL CHECK (length(manifest_sha256) = 64),
                records BIGINT NOT NULL CHECK (records >= 0),
                removed_members BIGINT NOT NULL CHECK (removed_members >= 0),
                PRIMARY KEY (dataset_id, version)
            );
            CREATE FUNCTION dataset_versions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR OLD.state <> 'pending' OR NEW.state = 'pending' OR NEW.manifest <> OLD.manifest
                   OR NEW.records <> OLD.records OR NEW.version <> OLD.version OR NEW.dataset_id <> OLD.dataset_id THEN
                    RAISE EXCEPTION 'only a pending dataset version may be settled, once' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER dataset_versions_guard BEFORE UPDATE OR DELETE ON dataset_versions
                FOR EACH ROW EXECUTE FUNCTION dataset_versions_guard();

            -- Which members a dataset holds; a committed purge sets removed_version, once.
            CREATE TABLE dataset_members (
                dataset_key BIGINT NOT NULL REFERENCES datasets(key),
                member_key BIGINT NOT NULL REFERENCES members(member_key),
                removed_version INTEGER,
                PRIMARY KEY (dataset_key, member_key)
            );
            CREATE INDEX dataset_members_by_member ON dataset_members(member_key);
            CREATE FUNCTION dataset_members_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR OLD.removed_version IS NOT NULL OR NEW.removed_version IS NULL
                   OR NEW.dataset_key <> OLD.dataset_key OR NEW.member_key <> OLD.member_key THEN
                    RAISE EXCEPTION 'a member is removed from a dataset once, and never restored' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER dataset_members_guard BEFORE UPDATE OR DELETE ON dataset_members
                FOR EACH ROW EXECUTE FUNCTION dataset_members_guard();
            -- The members a purge version removes, recorded before its files are put in place.
            CREATE TABLE dataset_removals (
                dataset_key BIGINT NOT NULL REFERENCES datasets(key),
                version INTEGER NOT NULL,
                member_key BIGINT NOT NULL REFERENCES members(member_key),
                PRIMARY KEY (dataset_key, version, member_key)
            );
            CREATE TRIGGER dataset_removals_append_only BEFORE UPDATE OR DELETE ON dataset_removals
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();

            CREATE TABLE models (
                name TEXT PRIMARY KEY CHECK (length(name) > 0),
                registered_at BIGINT NOT NULL,
                actor TEXT NOT NULL
            );
            CREATE TABLE model_datasets (
                model TEXT NOT NULL REFERENCES models(name),
                dataset_id TEXT NOT NULL REFERENCES datasets(id),
                dataset_version INTEGER NOT NULL,
                PRIMARY KEY (model, dataset_id)
            );
            CREATE INDEX model_datasets_by_dataset ON model_datasets(dataset_id);
            CREATE TRIGGER models_append_only BEFORE UPDATE OR DELETE ON models
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();
            CREATE TRIGGER model_datasets_append_only BEFORE UPDATE OR DELETE ON model_datasets
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();
            """),
        Migration(version: 3, name: "idempotency keys", sql: """
            -- Kept with the write they protect, in its transaction, so a retry on any instance
            -- finds them. `reference` is the ledger sequence or the objection id.
            CREATE TABLE idempotency_keys (
                key TEXT PRIMARY KEY CHECK (length(key) = 64),
                kind TEXT NOT NULL CHECK (kind IN ('choice', 'objection')),
                reference TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE TRIGGER idempotency_keys_no_update BEFORE UPDATE ON idempotency_keys
                FOR EACH ROW EXECUTE FUNCTION consentry_refuse_change();
            """),
        Migration(version: 4, name: "audit log time index as BRIN", sql: """
            -- Entries arrive in time order, so a block-range index finds a time window as well
            -- as a B-tree, and costs next to nothing per entry: an import of a million members
            -- writes a million entries.
            DROP INDEX audit_log_by_time;
            CREATE INDEX audit_log_by_time ON audit_log USING brin (recorded_at);
            """),
    ]
}
