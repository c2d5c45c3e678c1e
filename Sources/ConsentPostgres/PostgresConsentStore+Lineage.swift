import ConsentCore
import ConsentFormats
import Foundation
import PostgresNIO

extension PostgresConsentStore: LineageStore {
    public func registerDataset(_ dataset: NewDataset, members: [MemberID], actor: String) async throws {
        let now = now()
        try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            let at = audit.recordedAt
            if try await self.datasetKey(dataset.id, connection: connection) != nil {
                throw ConsentError.lineageConflict("dataset \(dataset.id) is already registered")
            }
            var key: Int64 = 0
            for try await inserted in try await connection.query("""
                INSERT INTO datasets (id, name, kind, location, member_field, created_at, as_of, policy_version, policy_sha256, actor)
                VALUES (\(dataset.id.rawValue), \(dataset.name), \(dataset.kind.rawValue), \(dataset.location), \(dataset.memberField),
                        \(at), \(Timestamp.microseconds(dataset.asOf)), \(dataset.policyVersion), \(dataset.policySHA256), \(actor))
                RETURNING key
                """, logger: self.logger).decode(Int64.self) { key = inserted }
            try await connection.query("""
                INSERT INTO dataset_versions (dataset_id, version, state, created_at, manifest, manifest_sha256, records, removed_members)
                VALUES (\(dataset.id.rawValue), 1, 'committed', \(at), \(dataset.manifestJSON), \(dataset.manifestSHA256), \(dataset.records), 0)
                """, logger: self.logger)
            let count = try await self.insertMembers(members, into: "dataset_members", datasetKey: key, version: nil, connection: connection)
            try await audit.append(actor: actor, action: .datasetRegistered, subject: dataset.id.rawValue, details: [
                "name": dataset.name, "kind": dataset.kind.rawValue, "location": dataset.location,
                "as_of": Timestamp.format(dataset.asOf), "members": String(count), "records": String(dataset.records),
                "manifest_sha256": dataset.manifestSHA256, "policy_version": dataset.policyVersion ?? "",
            ])
            try await audit.finish()
        }
    }

    public func datasets() async throws -> [Dataset] {
        try await read { connection in
            var ids: [String] = []
            for try await id in try await connection.query("SELECT id FROM datasets ORDER BY created_at, id", logger: self.logger).decode(String.self) {
                ids.append(id)
            }
            var datasets: [Dataset] = []
            for id in ids {
                if let dataset = try await self.dataset(DatasetID(rawValue: id), connection: connection) { datasets.append(dataset) }
            }
            return datasets
        }
    }

    public func dataset(_ id: DatasetID) async throws -> Dataset? {
        try await read { connection in try await self.dataset(id, connection: connection) }
    }

    public func members(of dataset: DatasetID) async throws -> [MemberID] {
        try await read { connection in
            guard let key = try await self.datasetKey(dataset, connection: connection) else { throw ConsentError.unknownDataset(dataset) }
            var members: [MemberID] = []
            for try await id in try await connection.query("""
                SELECT m.id FROM dataset_members d JOIN members m ON m.member_key = d.member_key
                WHERE d.dataset_key = \(key) AND d.removed_version IS NULL ORDER BY m.id COLLATE "C"
                """, logger: self.logger).decode(String.self) {
                if let member = MemberID(id) { members.append(member) }
            }
            return members
        }
    }

    public func beginPurge(of dataset: DatasetID, version: DatasetVersion, removing: [MemberID], actor: String) async throws {
        let now = now()
        try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            guard let stored = try await self.dataset(dataset, connection: connection),
                  let key = try await self.datasetKey(dataset, connection: connection) else { throw ConsentError.unknownDataset(dataset) }
            if let pending = stored.pending {
                throw ConsentError.lineageConflict("dataset \(dataset) has an unfinished purge (version \(pending.version)); run `consentry purge` again to settle it first")
            }
            let next = (stored.versions.last?.version ?? 0) + 1
            guard version.version == next else {
                throw ConsentError.lineageConflict("dataset \(dataset): the next version is \(next), not \(version.version)")
            }
            try await connection.query("""
                INSERT INTO dataset_versions (dataset_id, version, state, created_at, manifest, manifest_sha256, records, removed_members)
                VALUES (\(dataset.rawValue), \(version.version), 'pending', \(Timestamp.microseconds(version.createdAt)), \(version.manifestJSON),
                        \(version.manifestSHA256), \(version.records), \(removing.count))
                """, logger: self.logger)
            _ = try await self.insertMembers(removing, into: "dataset_removals", datasetKey: key, version: version.version, connection: connection)
            try await audit.append(actor: actor, action: .datasetPurgeStarted, subject: dataset.rawValue, details: [
                "version": String(version.version), "removing_members": String(removing.count),
                "manifest_sha256": version.manifestSHA256,
            ])
            try await audit.finish()
        }
    }

    public func finishPurge(of dataset: DatasetID, version: Int, committed: Bool, actor: String) async throws -> [ObjectionID] {
        let now = now()
        return try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            guard let stored = try await self.dataset(dataset, connection: connection),
                  let key = try await self.datasetKey(dataset, connection: connection) else { throw ConsentError.unknownDataset(dataset) }
            guard let pending = stored.pending, pending.version == version else {
                throw ConsentError.lineageConflict("dataset \(dataset) has no pending version \(version)")
            }
            try await connection.query("""
                UPDATE dataset_versions SET state = \(committed ? "committed" : "abandoned") WHERE dataset_id = \(dataset.rawValue) AND version = \(version)
                """, logger: self.logger)
            guard committed else {
                try await audit.append(actor: actor, action: .datasetPurgeAbandoned, subject: dataset.rawValue,
                                       details: ["version": String(version), "kept_version": String(stored.current?.version ?? 0)])
                try await audit.finish()
                return []
            }
            var removed = 0
            for try await count in try await connection.query("""
                WITH updated AS (
                    UPDATE dataset_members SET removed_version = \(version)
                    WHERE dataset_key = \(key) AND removed_version IS NULL
                      AND member_key IN (SELECT member_key FROM dataset_removals WHERE dataset_key = \(key) AND version = \(version))
                    RETURNING 1)
                SELECT count(*) FROM updated
                """, logger: self.logger).decode(Int.self) { removed = count }
            try await audit.append(actor: actor, action: .datasetPurged, subject: dataset.rawValue, details: [
                "version": String(version), "previous_version": String(stored.current?.version ?? 0),
                "removed_members": String(removed), "records": String(pending.records),
                "manifest_sha256": pending.manifestSHA256,
            ])
            let completed = try await self.completeObjections(actor: actor, at: now, connection: connection, audit: &audit)
            try await audit.finish()
            return completed
        }
    }

    public func completeObjections(actor: String) async throws -> [ObjectionID] {
        let now = now()
        return try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            let completed = try await self.completeObjections(actor: actor, at: now, connection: connection, audit: &audit)
            try await audit.finish()
            return completed
        }
    }

    /// Completes every upheld objection whose member no dataset's current version holds.
    private func completeObjections(actor: String, at: Date, connection: PostgresConnection,
                                    audit: inout PostgresAudit) async throws -> [ObjectionID] {
        var completed: [ObjectionID] = []
        for case (let key?, let objection) in try await objections(connection: connection, asOf: nil) where objection.status == .upheld {
            var held = 0
            var purged: [String] = []
            for try await (id, removed) in try await connection.query("""
                SELECT d.id, m.removed_version FROM dataset_members m JOIN datasets d ON d.key = m.dataset_key
                WHERE m.member_key = \(key) ORDER BY d.id COLLATE "C"
                """, logger: logger).decode((String, Int?).self) {
                if removed == nil { held += 1 }
                purged.append(id)
            }
            guard held == 0 else { continue }
            let reason = purged.isEmpty
                ? "No registered dataset holds this member's data."
                : "This member's data was removed from every dataset that held it: \(purged.joined(separator: ", "))."
            let done = try objection.completing(reason: reason, at: max(at, objection.timeline[objection.timeline.count - 1].at))
            try await appendEvents(done.timeline, from: objection.timeline.count, of: done, actor: actor, connection: connection, audit: &audit)
            completed.append(objection.id)
        }
        return completed
    }

    public func registerModel(name: String, datasets: [DatasetID], actor: String) async throws -> TrainedModel {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ConsentError.invalidField(field: "name", message: "a model needs a name")
        }
        guard !datasets.isEmpty else { throw ConsentError.invalidField(field: "datasets", message: "name at least one dataset") }
        let now = now()
        return try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            for try await _ in try await connection.query("SELECT 1 FROM models WHERE name = \(name)", logger: self.logger) {
                throw ConsentError.lineageConflict("a model named \(JSONWriter.string(name)) is already registered; model names are unique")
            }
            try await connection.query("INSERT INTO models (name, registered_at, actor) VALUES (\(name), \(audit.recordedAt), \(actor))",
                                       logger: self.logger)
            var sources: [TrainedModel.Source] = []
            for id in datasets where !sources.contains(where: { $0.dataset == id }) {
                guard let dataset = try await self.dataset(id, connection: connection), let current = dataset.current else {
                    throw ConsentError.unknownDataset(id)
                }
                try await connection.query("INSERT INTO model_datasets (model, dataset_id, dataset_version) VALUES (\(name), \(id.rawValue), \(current.version))",
                                           logger: self.logger)
                sources.append(.init(dataset: id, version: current.version))
            }
            try await audit.append(actor: actor, action: .modelRegistered, subject: name, details: [
                "datasets": sources.map { "\($0.dataset)@\($0.version)" }.joined(separator: ","),
            ])
            try await audit.finish()
            return TrainedModel(name: name, registeredAt: Timestamp.fromMicroseconds(audit.recordedAt), sources: sources, removedMembers: 0)
        }
    }

    public func models() async throws -> [TrainedModel] {
        try await read { connection in
            var rows: [(String, Int64)] = []
            for try await row in try await connection.query("SELECT name, registered_at FROM models ORDER BY registered_at, name",
                                                            logger: self.logger).decode((String, Int64).self) { rows.append(row) }
            var models: [TrainedModel] = []
            for (name, registered) in rows {
                var sources: [TrainedModel.Source] = []
                for try await (dataset, version) in try await connection.query("""
                    SELECT dataset_id, dataset_version FROM model_datasets WHERE model = \(name) ORDER BY dataset_id COLLATE "C"
                    """, logger: self.logger).decode((String, Int).self) {
                    sources.append(.init(dataset: DatasetID(rawValue: dataset), version: version))
                }
                // Members in a version the model saw, removed by a later committed version.
                var removed = 0
                for try await count in try await connection.query("""
                    SELECT count(DISTINCT r.member_key) FROM model_datasets s
                    JOIN dataset_versions v ON v.dataset_id = s.dataset_id AND v.version > s.dataset_version AND v.state = 'committed'
                    JOIN datasets d ON d.id = v.dataset_id
                    JOIN dataset_removals r ON r.dataset_key = d.key AND r.version = v.version
                    WHERE s.model = \(name)
                    """, logger: self.logger).decode(Int.self) { removed = count }
                models.append(TrainedModel(name: name, registeredAt: Timestamp.fromMicroseconds(registered), sources: sources, removedMembers: removed))
            }
            return models
        }
    }

    public func lineage(of member: MemberID) async throws -> MemberLineage {
        try await read { connection in
            var key: Int64?
            for try await found in try await connection.query("SELECT member_key FROM members WHERE id = \(member.rawValue)",
                                                              logger: self.logger).decode(Int64.self) { key = found }
            guard let key else { throw ConsentError.unknownMember(member) }
            var lineage = MemberLineage()
            for try await (id, name, created, removedVersion, removedAt) in try await connection.query("""
                SELECT d.id, d.name, d.created_at, m.removed_version, v.created_at
                FROM dataset_members m JOIN datasets d ON d.key = m.dataset_key
                LEFT JOIN dataset_versions v ON v.dataset_id = d.id AND v.version = m.removed_version
                WHERE m.member_key = \(key) ORDER BY d.created_at, d.id
                """, logger: self.logger).decode((String, String, Int64, Int?, Int64?).self) {
                lineage.datasets.append(.init(dataset: DatasetID(rawValue: id), name: name, createdAt: Timestamp.fromMicroseconds(created),
                                              removedAt: removedAt.map(Timestamp.fromMicroseconds), removedInVersion: removedVersion))
            }
            for try await (model, registered, dataset, removedVersion) in try await connection.query("""
                SELECT md.model, mo.registered_at, md.dataset_id, m.removed_version
                FROM model_datasets md JOIN models mo ON mo.name = md.model
                JOIN datasets d ON d.id = md.dataset_id
                JOIN dataset_members m ON m.dataset_key = d.key AND m.member_key = \(key)
                WHERE m.removed_version IS NULL OR m.removed_version > md.dataset_version
                ORDER BY mo.registered_at, md.model, md.dataset_id
                """, logger: self.logger).decode((String, Int64, String, Int?).self) {
                lineage.models.append(.init(model: model, registeredAt: Timestamp.fromMicroseconds(registered),
                                            dataset: DatasetID(rawValue: dataset), trainedBeforeRemoval: removedVersion != nil))
            }
            return lineage
        }
    }

    public func forEachMemberData(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) async throws {
        // Streamed from one snapshot, in byte order of the ids as the SQLite store gives them.
        let rows = try await read { connection in
            var rows: [(String, String)] = []
            for try await row in try await connection.query("SELECT id, data FROM members ORDER BY id COLLATE \"C\"",
                                                            logger: self.logger).decode((String, String).self) { rows.append(row) }
            return rows
        }
        for (id, data) in rows {
            var id = id, data = data
            try id.withUTF8 { idBytes in try data.withUTF8 { dataBytes in try body(idBytes, dataBytes) } }
        }
    }

    // MARK: Reading

    func datasetKey(_ id: DatasetID, connection: PostgresConnection) async throws -> Int64? {
        for try await key in try await connection.query("SELECT key FROM datasets WHERE id = \(id.rawValue)", logger: logger).decode(Int64.self) {
            return key
        }
        return nil
    }

    func dataset(_ id: DatasetID, connection: PostgresConnection) async throws -> Dataset? {
        var found: (String, String, String, String, Int64, Int64, String?, String?, Int64)?
        for try await row in try await connection.query("""
            SELECT name, kind, location, member_field, created_at, as_of, policy_version, policy_sha256, key FROM datasets WHERE id = \(id.rawValue)
            """, logger: logger).decode((String, String, String, String, Int64, Int64, String?, String?, Int64).self) { found = row }
        guard let row = found else { return nil }
        guard let kind = DatasetKind(rawValue: row.1) else { throw ConsentError.storeUnavailable("dataset \(id) has an unknown kind") }
        var versions: [DatasetVersion] = []
        for try await version in try await connection.query("""
            SELECT version, state, created_at, manifest, manifest_sha256, records, removed_members
            FROM dataset_versions WHERE dataset_id = \(id.rawValue) ORDER BY version
            """, logger: logger).decode((Int, String, Int64, String, String, Int, Int).self) {
            guard let state = DatasetVersion.State(rawValue: version.1) else {
                throw ConsentError.storeUnavailable("dataset \(id) has a version in an unknown state")
            }
            versions.append(DatasetVersion(version: version.0, state: state, createdAt: Timestamp.fromMicroseconds(version.2),
                                           manifestJSON: version.3, manifestSHA256: version.4, records: version.5, removedMembers: version.6))
        }
        var members = 0
        for try await count in try await connection.query("""
            SELECT count(*) FROM dataset_members WHERE dataset_key = \(row.8) AND removed_version IS NULL
            """, logger: logger).decode(Int.self) { members = count }
        return Dataset(id: id, name: row.0, kind: kind, location: row.2, memberField: row.3,
                       createdAt: Timestamp.fromMicroseconds(row.4), asOf: Timestamp.fromMicroseconds(row.5),
                       policyVersion: row.6, policySHA256: row.7, versions: versions, members: members)
    }

    /// Inserts `members` (ids) into `dataset_members` or `dataset_removals` for one dataset, in
    /// batches; an id the store does not hold is refused. Returns the rows inserted.
    private func insertMembers(_ members: [MemberID], into table: String, datasetKey: Int64, version: Int?,
                               connection: PostgresConnection) async throws -> Int {
        var inserted = 0
        var start = 0
        let batchSize = 50_000
        while start < members.count {
            let batch = members[start..<min(start + batchSize, members.count)].map(\.rawValue)
            start += batch.count
            let query: PostgresQuery = table == "dataset_members"
                ? """
                    WITH added AS (INSERT INTO dataset_members (dataset_key, member_key)
                        SELECT \(datasetKey), m.member_key FROM members m WHERE m.id = ANY(\(batch)::text[])
                        ON CONFLICT DO NOTHING RETURNING 1)
                    SELECT count(*) FROM added
                    """
                : """
                    WITH added AS (INSERT INTO dataset_removals (dataset_key, version, member_key)
                        SELECT \(datasetKey), \(version ?? 0), m.member_key FROM members m WHERE m.id = ANY(\(batch)::text[])
                        ON CONFLICT DO NOTHING RETURNING 1)
                    SELECT count(*) FROM added
                    """
            var count = 0
            for try await rows in try await connection.query(query, logger: logger).decode(Int.self) { count = rows }
            inserted += count
            if count < Set(batch).count {
                var known = Set<String>()
                for try await id in try await connection.query("SELECT id FROM members WHERE id = ANY(\(batch)::text[])",
                                                               logger: logger).decode(String.self) { known.insert(id) }
                if let unknown = batch.first(where: { !known.contains($0) }), let member = MemberID(unknown) {
                    throw ConsentError.unknownMember(member)
                }
            }
        }
        return inserted
    }
}
