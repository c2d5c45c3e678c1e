import ConsentCore
import ConsentFormats
import Foundation
import GRDB

extension SQLiteConsentStore: LineageStore {
    public func registerDataset(_ dataset: NewDataset, members: [MemberID], actor: String) async throws {
        try write { db in
            let at = Timestamp.microseconds(now())
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM datasets WHERE id = ?", arguments: [dataset.id.rawValue]) == true {
                throw ConsentError.lineageConflict("dataset \(dataset.id) is already registered")
            }
            try db.execute(sql: """
                INSERT INTO datasets (id, name, kind, location, member_field, created_at, as_of, policy_version, policy_sha256, actor)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [dataset.id.rawValue, dataset.name, dataset.kind.rawValue, dataset.location, dataset.memberField,
                                 at, Timestamp.microseconds(dataset.asOf), dataset.policyVersion, dataset.policySHA256, actor])
            let datasetKey = db.lastInsertedRowID
            try db.execute(sql: """
                INSERT INTO dataset_versions (dataset_id, version, state, created_at, manifest, manifest_sha256, records, removed_members)
                VALUES (?, 1, 'committed', ?, ?, ?, ?, 0)
                """, arguments: [dataset.id.rawValue, at, dataset.manifestJSON, dataset.manifestSHA256, dataset.records])
            let count = try insertMembers(members, sql: """
                INSERT OR IGNORE INTO dataset_members (dataset_key, member_key)
                SELECT ?1, m.member_key FROM json_each(?2) j JOIN members m ON m.id = j.value
                """, datasetKey: datasetKey, db: db)
            var audit = try AuditAppender(db, now: now())
            try audit.append(actor: actor, action: .datasetRegistered, subject: dataset.id.rawValue, details: [
                "name": dataset.name, "kind": dataset.kind.rawValue, "location": dataset.location,
                "as_of": Timestamp.format(dataset.asOf), "members": String(count), "records": String(dataset.records),
                "manifest_sha256": dataset.manifestSHA256, "policy_version": dataset.policyVersion ?? "",
            ])
            try audit.finish()
        }
    }

    public func datasets() async throws -> [Dataset] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT id FROM datasets ORDER BY created_at, id").compactMap {
                try Self.dataset(DatasetID(rawValue: $0), db: db)
            }
        }
    }

    public func dataset(_ id: DatasetID) async throws -> Dataset? {
        try read { db in try Self.dataset(id, db: db) }
    }

    public func members(of dataset: DatasetID) async throws -> [MemberID] {
        try read { db in
            guard try Self.dataset(dataset, db: db) != nil else { throw ConsentError.unknownDataset(dataset) }
            return try String.fetchAll(db, sql: """
                SELECT m.id FROM dataset_members d JOIN members m ON m.member_key = d.member_key
                WHERE d.dataset_key = (SELECT key FROM datasets WHERE id = ?) AND d.removed_version IS NULL ORDER BY m.id
                """, arguments: [dataset.rawValue]).compactMap(MemberID.init)
        }
    }

    public func beginPurge(of dataset: DatasetID, version: DatasetVersion, removing: [MemberID], actor: String) async throws {
        try write { db in
            guard let stored = try Self.dataset(dataset, db: db) else { throw ConsentError.unknownDataset(dataset) }
            if let pending = stored.pending {
                throw ConsentError.lineageConflict("dataset \(dataset) has an unfinished purge (version \(pending.version)); run `consentry purge` again to settle it first")
            }
            let next = (stored.versions.last?.version ?? 0) + 1
            guard version.version == next else {
                throw ConsentError.lineageConflict("dataset \(dataset): the next version is \(next), not \(version.version)")
            }
            try db.execute(sql: """
                INSERT INTO dataset_versions (dataset_id, version, state, created_at, manifest, manifest_sha256, records, removed_members)
                VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)
                """, arguments: [dataset.rawValue, version.version, Timestamp.microseconds(version.createdAt), version.manifestJSON,
                                 version.manifestSHA256, version.records, removing.count])
            _ = try insertMembers(removing, sql: """
                INSERT OR IGNORE INTO dataset_removals (dataset_key, version, member_key)
                SELECT ?1, ?3, m.member_key FROM json_each(?2) j JOIN members m ON m.id = j.value ORDER BY m.member_key
                """, datasetKey: try Self.key(of: dataset, db: db), version: version.version, db: db)
            var audit = try AuditAppender(db, now: now())
            try audit.append(actor: actor, action: .datasetPurgeStarted, subject: dataset.rawValue, details: [
                "version": String(version.version), "removing_members": String(removing.count),
                "manifest_sha256": version.manifestSHA256,
            ])
            try audit.finish()
        }
    }

    public func finishPurge(of dataset: DatasetID, version: Int, committed: Bool, actor: String) async throws -> [ObjectionID] {
        try write { db in
            guard let stored = try Self.dataset(dataset, db: db) else { throw ConsentError.unknownDataset(dataset) }
            guard let pending = stored.pending, pending.version == version else {
                throw ConsentError.lineageConflict("dataset \(dataset) has no pending version \(version)")
            }
            try db.execute(sql: "UPDATE dataset_versions SET state = ? WHERE dataset_id = ? AND version = ?",
                           arguments: [committed ? "committed" : "abandoned", dataset.rawValue, version])
            var audit = try AuditAppender(db, now: now())
            guard committed else {
                try audit.append(actor: actor, action: .datasetPurgeAbandoned, subject: dataset.rawValue,
                                 details: ["version": String(version), "kept_version": String(stored.current?.version ?? 0)])
                try audit.finish()
                return []
            }
            try db.execute(sql: """
                UPDATE dataset_members SET removed_version = ?1
                WHERE dataset_key = ?2 AND removed_version IS NULL
                  AND member_key IN (SELECT member_key FROM dataset_removals WHERE dataset_key = ?2 AND version = ?1)
                """, arguments: [version, try Self.key(of: dataset, db: db)])
            let removed = db.changesCount
            try audit.append(actor: actor, action: .datasetPurged, subject: dataset.rawValue, details: [
                "version": String(version), "previous_version": String(stored.current?.version ?? 0),
                "removed_members": String(removed), "records": String(pending.records),
                "manifest_sha256": pending.manifestSHA256,
            ])
            let completed = try completeObjections(actor: actor, db: db, audit: &audit)
            try audit.finish()
            return completed
        }
    }

    public func completeObjections(actor: String) async throws -> [ObjectionID] {
        try write { db in
            var audit = try AuditAppender(db, now: now())
            let completed = try completeObjections(actor: actor, db: db, audit: &audit)
            try audit.finish()
            return completed
        }
    }

    /// Completes every upheld objection whose member no dataset's current version holds.
    private func completeObjections(actor: String, db: Database, audit: inout AuditAppender) throws -> [ObjectionID] {
        let at = now()
        var completed: [ObjectionID] = []
        for case (let key?, let objection) in try Self.objections(db: db, asOf: nil) where objection.status == .upheld {
            let held = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM datasets d CROSS JOIN dataset_members m ON m.dataset_key = d.key AND m.member_key = ?
                WHERE m.removed_version IS NULL
                """, arguments: [key]) ?? 0
            guard held == 0 else { continue }
            let purged = try String.fetchAll(db, sql: """
                SELECT d.id FROM datasets d CROSS JOIN dataset_members m ON m.dataset_key = d.key AND m.member_key = ? ORDER BY d.id
                """, arguments: [key])
            let reason = purged.isEmpty
                ? "No registered dataset holds this member's data."
                : "This member's data was removed from every dataset that held it: \(purged.joined(separator: ", "))."
            let done = try objection.completing(reason: reason, at: max(at, objection.timeline[objection.timeline.count - 1].at))
            try appendEvents(done.timeline, from: objection.timeline.count, of: done, actor: actor, db: db, audit: &audit)
            completed.append(objection.id)
        }
        return completed
    }

    public func registerModel(name: String, datasets: [DatasetID], actor: String) async throws -> TrainedModel {
        try write { db in
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConsentError.invalidField(field: "name", message: "a model needs a name")
            }
            guard !datasets.isEmpty else { throw ConsentError.invalidField(field: "datasets", message: "name at least one dataset") }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM models WHERE name = ?", arguments: [name]) == true {
                throw ConsentError.lineageConflict("a model named \(JSONWriter.string(name)) is already registered; model names are unique")
            }
            let at = now()
            try db.execute(sql: "INSERT INTO models (name, registered_at, actor) VALUES (?, ?, ?)",
                           arguments: [name, Timestamp.microseconds(at), actor])
            var sources: [TrainedModel.Source] = []
            for id in datasets where !sources.contains(where: { $0.dataset == id }) {
                guard let dataset = try Self.dataset(id, db: db), let current = dataset.current else { throw ConsentError.unknownDataset(id) }
                try db.execute(sql: "INSERT INTO model_datasets (model, dataset_id, dataset_version) VALUES (?, ?, ?)",
                               arguments: [name, id.rawValue, current.version])
                sources.append(.init(dataset: id, version: current.version))
            }
            var audit = try AuditAppender(db, now: at)
            try audit.append(actor: actor, action: .modelRegistered, subject: name, details: [
                "datasets": sources.map { "\($0.dataset)@\($0.version)" }.joined(separator: ","),
            ])
            try audit.finish()
            return TrainedModel(name: name, registeredAt: Timestamp.fromMicroseconds(Timestamp.microseconds(at)),
                                sources: sources, removedMembers: 0)
        }
    }

    public func models() async throws -> [TrainedModel] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, registered_at FROM models ORDER BY registered_at, name").map { row in
                let name: String = row[0]
                let sources = try Row.fetchAll(db, sql: """
                    SELECT dataset_id, dataset_version FROM model_datasets WHERE model = ? ORDER BY dataset_id
                    """, arguments: [name]).map { TrainedModel.Source(dataset: DatasetID(rawValue: $0[0]), version: $0[1]) }
                // Members in a version the model saw, removed by a later committed version.
                let removed = try Int.fetchOne(db, sql: """
                    SELECT count(DISTINCT r.member_key) FROM model_datasets s
                    JOIN dataset_versions v ON v.dataset_id = s.dataset_id AND v.version > s.dataset_version AND v.state = 'committed'
                    JOIN datasets d ON d.id = v.dataset_id
                    JOIN dataset_removals r ON r.dataset_key = d.key AND r.version = v.version
                    WHERE s.model = ?
                    """, arguments: [name]) ?? 0
                return TrainedModel(name: name, registeredAt: Timestamp.fromMicroseconds(row[1]), sources: sources, removedMembers: removed)
            }
        }
    }

    public func lineage(of member: MemberID) async throws -> MemberLineage {
        try read { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT member_key FROM members WHERE id = ?", arguments: [member.rawValue])
            else { throw ConsentError.unknownMember(member) }
            var lineage = MemberLineage()
            for row in try Row.fetchAll(db, sql: """
                SELECT d.id, d.name, d.created_at, m.removed_version, v.created_at
                FROM datasets d CROSS JOIN dataset_members m ON m.dataset_key = d.key AND m.member_key = ?
                LEFT JOIN dataset_versions v ON v.dataset_id = d.id AND v.version = m.removed_version
                ORDER BY d.created_at, d.id
                """, arguments: [key]) {
                let removedAt: Int64? = row[4]
                lineage.datasets.append(.init(dataset: DatasetID(rawValue: row[0]), name: row[1],
                                              createdAt: Timestamp.fromMicroseconds(row[2]),
                                              removedAt: removedAt.map(Timestamp.fromMicroseconds), removedInVersion: row[3]))
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT md.model, mo.registered_at, md.dataset_id, m.removed_version, md.dataset_version
                FROM model_datasets md CROSS JOIN models mo ON mo.name = md.model
                CROSS JOIN datasets d ON d.id = md.dataset_id
                CROSS JOIN dataset_members m ON m.dataset_key = d.key AND m.member_key = ?
                WHERE m.removed_version IS NULL OR m.removed_version > md.dataset_version
                ORDER BY mo.registered_at, md.model, md.dataset_id
                """, arguments: [key]) {
                let removedVersion: Int? = row[3]
                lineage.models.append(.init(model: row[0], registeredAt: Timestamp.fromMicroseconds(row[1]),
                                            dataset: DatasetID(rawValue: row[2]), trainedBeforeRemoval: removedVersion != nil))
            }
            return lineage
        }
    }

    public func forEachMemberData(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) async throws {
        try read { db in
            let rows = try RawRows(db, sql: "SELECT id, data FROM members ORDER BY id")
            defer { rows.reset() }
            while try rows.next() { try body(rows.bytes(0), rows.bytes(1)) }
        }
    }

    // MARK: Reading

    /// The integer key of a dataset, which its member rows carry.
    static func key(of dataset: DatasetID, db: Database) throws -> Int64 {
        guard let key = try Int64.fetchOne(db, sql: "SELECT key FROM datasets WHERE id = ?", arguments: [dataset.rawValue]) else {
            throw ConsentError.unknownDataset(dataset)
        }
        return key
    }

    static func dataset(_ id: DatasetID, db: Database) throws -> Dataset? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT name, kind, location, member_field, created_at, as_of, policy_version, policy_sha256 FROM datasets WHERE id = ?
            """, arguments: [id.rawValue]) else { return nil }
        guard let kind = DatasetKind(rawValue: row[1]) else { throw ConsentError.storeUnavailable("dataset \(id) has an unknown kind") }
        let versions = try Row.fetchAll(db, sql: """
            SELECT version, state, created_at, manifest, manifest_sha256, records, removed_members
            FROM dataset_versions WHERE dataset_id = ? ORDER BY version
            """, arguments: [id.rawValue]).map { version in
            guard let state = DatasetVersion.State(rawValue: version[1]) else {
                throw ConsentError.storeUnavailable("dataset \(id) has a version in an unknown state")
            }
            return DatasetVersion(version: version[0], state: state, createdAt: Timestamp.fromMicroseconds(version[2]),
                                  manifestJSON: version[3], manifestSHA256: version[4], records: version[5], removedMembers: version[6])
        }
        let members = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM dataset_members WHERE dataset_key = (SELECT key FROM datasets WHERE id = ?) AND removed_version IS NULL
            """, arguments: [id.rawValue]) ?? 0
        return Dataset(id: id, name: row[0], kind: kind, location: row[2], memberField: row[3],
                       createdAt: Timestamp.fromMicroseconds(row[4]), asOf: Timestamp.fromMicroseconds(row[5]),
                       policyVersion: row[6], policySHA256: row[7], versions: versions, members: members)
    }

    /// Runs `sql` (an INSERT … SELECT over `json_each(?2)` joined to members) for `members`:
    /// one statement for a million members instead of a million (the new rows all land in the
    /// dataset's own key range, so sorting them first costs more than it saves). An id the
    /// store does not hold is refused.
    /// Returns the rows inserted.
    private func insertMembers(_ members: [MemberID], sql: String, datasetKey: Int64, version: Int? = nil,
                               db: Database) throws -> Int {
        var list: [UInt8] = [0x5B]
        list.reserveCapacity(members.count * 16)
        for (index, id) in members.enumerated() {
            if index > 0 { list.append(0x2C) }
            var text = id.rawValue
            text.withUTF8 { bytes in
                if bytes.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) {
                    list.append(0x22)
                    list.append(contentsOf: bytes)
                    list.append(0x22)
                } else {
                    list.append(contentsOf: JSONWriter.string(id.rawValue).utf8)
                }
            }
        }
        list.append(0x5D)
        let json = String(decoding: list, as: UTF8.self)
        let arguments: StatementArguments = version.map { [datasetKey, json, $0] } ?? [datasetKey, json]
        try db.execute(sql: sql, arguments: arguments)
        let inserted = db.changesCount
        if inserted < members.count {
            // Fewer rows than ids: an id the store does not hold, or the same id twice.
            // Name an id the store does not hold (the transaction is rolled back by the throw).
            let statement = try db.makeStatement(sql: "SELECT 1 FROM members WHERE id = ?")
            for id in members where try Bool.fetchOne(statement, arguments: [id.rawValue]) != true {
                throw ConsentError.unknownMember(id)
            }
        }
        return inserted
    }
}
