import ConsentCore
import ConsentFormats
import Foundation

extension SQLConsentStore {
    public func registerDataset(_ dataset: NewDataset, members: [MemberID], actor: String) async throws {
        let instant = now()
        try await driver.write { db in
            var trail = try AuditTrail.begin(db, at: instant)
            guard try db.query("SELECT key FROM datasets WHERE id = \(dataset.id.rawValue)").isEmpty else {
                throw ConsentError.lineageConflict("dataset \(dataset.id) is already registered")
            }
            guard let key = try db.query("""
                INSERT INTO datasets (id, name, kind, location, member_field, created_at, as_of, policy_version, policy_sha256, actor)
                VALUES (\(dataset.id.rawValue), \(dataset.name), \(dataset.kind.rawValue), \(dataset.location), \(dataset.memberField),
                        \(trail.recordedAt), \(Timestamp.microseconds(dataset.asOf)), \(dataset.policyVersion), \(dataset.policySHA256), \(actor))
                RETURNING key
                """).first?.int64(0) else { throw ConsentError.storeUnavailable("the new dataset's key was not returned") }
            try db.execute("""
                INSERT INTO dataset_versions (dataset_id, version, state, created_at, manifest, manifest_sha256, records, removed_members)
                VALUES (\(dataset.id.rawValue), 1, 'committed', \(trail.recordedAt), \(dataset.manifestJSON), \(dataset.manifestSHA256),
                        \(dataset.records), 0)
                """)
            let count = try Self.insertMembers(members, db) { batch in """
                INSERT INTO dataset_members (dataset_key, member_key)
                SELECT \(key), m.member_key FROM members m WHERE m.id IN \(texts: batch) ON CONFLICT DO NOTHING
                """ }
            // An erasure stays done: a dataset holding a member whose objection was upheld (say,
            // while the export ran) is never registered, and its writer removes its files.
            let objectors = try Self.heldObjectors(datasetKey: key, db)
            if !objectors.isEmpty {
                let listed = objectors.prefix(5).map { "\($0.member) (objection \($0.objection) \($0.completed ? "completed" : "upheld"))" }
                throw ConsentError.lineageConflict("""
                    dataset \(dataset.id) holds \(objectors.count) member\(objectors.count == 1 ? "" : "s") whose objection was upheld: \
                    \(listed.joined(separator: ", "))\(objectors.count > 5 ? ", …" : ""); it was not registered. Make it again: the gate leaves them out
                    """)
            }
            trail.append(actor: actor, action: .datasetRegistered, subject: dataset.id.rawValue, details: [
                "name": dataset.name, "kind": dataset.kind.rawValue, "location": dataset.location,
                "as_of": Timestamp.format(dataset.asOf), "members": String(count), "records": String(dataset.records),
                "members_sha256": try Self.memberSetSHA256(.registered(key), db),
                "manifest_sha256": dataset.manifestSHA256, "policy_version": dataset.policyVersion ?? "",
            ])
            try trail.finish(db)
        }
    }

    public func datasets() async throws -> [Dataset] {
        try await driver.read { db in
            try db.query("SELECT id FROM datasets ORDER BY created_at, id\(.bytewise)").compactMap {
                try Self.dataset(DatasetID(rawValue: try $0.text(0)), db)
            }
        }
    }

    public func dataset(_ id: DatasetID) async throws -> Dataset? {
        try await driver.read { db in try Self.dataset(id, db) }
    }

    public func members(of dataset: DatasetID) async throws -> [MemberID] {
        try await driver.read { db in
            guard let key = try Self.datasetKey(dataset, db) else { throw ConsentError.unknownDataset(dataset) }
            return try db.query("""
                SELECT m.id FROM dataset_members d JOIN members m ON m.member_key = d.member_key
                WHERE d.dataset_key = \(key) AND d.removed_version IS NULL ORDER BY m.id\(.bytewise)
                """).compactMap { MemberID(try $0.text(0)) }
        }
    }

    /// Records a purge's new version as pending, with the members it removes, before its files
    /// replace the current ones (``Dataset/checkPurgeCanBegin(version:)`` says when it may).
    public func beginPurge(of dataset: DatasetID, version: DatasetVersion, removing: [MemberID], actor: String) async throws {
        let instant = now()
        try await driver.write { db in
            var trail = try AuditTrail.begin(db, at: instant)
            guard let stored = try Self.dataset(dataset, db), let key = try Self.datasetKey(dataset, db) else {
                throw ConsentError.unknownDataset(dataset)
            }
            try stored.checkPurgeCanBegin(version: version.version)
            try db.execute("""
                INSERT INTO dataset_versions (dataset_id, version, state, created_at, manifest, manifest_sha256, records, removed_members)
                VALUES (\(dataset.rawValue), \(version.version), 'pending', \(Timestamp.microseconds(version.createdAt)), \(version.manifestJSON),
                        \(version.manifestSHA256), \(version.records), \(removing.count))
                """)
            _ = try Self.insertMembers(removing, db) { batch in """
                INSERT INTO dataset_removals (dataset_key, version, member_key)
                SELECT \(key), \(version.version), m.member_key FROM members m WHERE m.id IN \(texts: batch) ON CONFLICT DO NOTHING
                """ }
            trail.append(actor: actor, action: .datasetPurgeStarted, subject: dataset.rawValue, details: [
                "version": String(version.version), "removing_members": String(removing.count),
                "removing_sha256": try Self.memberSetSHA256(.removing(key, version: version.version), db),
                "manifest_sha256": version.manifestSHA256,
            ])
            try trail.finish(db)
        }
    }

    /// Settles a pending version; after a commit, completes every upheld objection whose member
    /// no dataset holds any more (their ids are returned).
    public func finishPurge(of dataset: DatasetID, version: Int, committed: Bool, actor: String) async throws -> [ObjectionID] {
        let instant = now()
        return try await driver.write { db in
            var trail = try AuditTrail.begin(db, at: instant)
            guard let stored = try Self.dataset(dataset, db), let key = try Self.datasetKey(dataset, db) else {
                throw ConsentError.unknownDataset(dataset)
            }
            let pending = try stored.pendingVersion(toSettle: version)
            try db.execute("""
                UPDATE dataset_versions SET state = \(committed ? "committed" : "abandoned") WHERE dataset_id = \(dataset.rawValue) AND version = \(version)
                """)
            guard committed else {
                trail.append(actor: actor, action: .datasetPurgeAbandoned, subject: dataset.rawValue,
                             details: ["version": String(version), "kept_version": String(stored.current?.version ?? 0)])
                try trail.finish(db)
                return []
            }
            let removed = try db.execute("""
                UPDATE dataset_members SET removed_version = \(version)
                WHERE dataset_key = \(key) AND removed_version IS NULL
                  AND member_key IN (SELECT member_key FROM dataset_removals WHERE dataset_key = \(key) AND version = \(version))
                """)
            trail.append(actor: actor, action: .datasetPurged, subject: dataset.rawValue, details: [
                "version": String(version), "previous_version": String(stored.current?.version ?? 0),
                "removed_members": String(removed), "records": String(pending.records),
                "removed_sha256": try Self.memberSetSHA256(.removed(key, version: version), db),
                "manifest_sha256": pending.manifestSHA256,
            ])
            let completed = try Self.completeObjections(actor: actor, db, &trail)
            try trail.finish(db)
            return completed
        }
    }

    public func completeObjections(actor: String) async throws -> [ObjectionID] {
        let instant = now()
        return try await driver.write { db in
            var trail = try AuditTrail.begin(db, at: instant)
            let completed = try Self.completeObjections(actor: actor, db, &trail)
            try trail.finish(db)
            return completed
        }
    }

    /// Completes every upheld objection whose member no dataset's current version holds.
    static func completeObjections(actor: String, _ db: some SQLConnection, _ trail: inout AuditTrail) throws -> [ObjectionID] {
        var completed: [ObjectionID] = []
        for case (_, let objection) in try objections(db) where objection.status == .upheld {
            guard let member = objection.member, try completeIfRemoved(objection, member: member, actor: actor, db, &trail) != nil else { continue }
            completed.append(objection.id)
        }
        return completed
    }

    /// Completes `objection` when no dataset holds its member any more; nil while one does.
    static func completeIfRemoved(_ objection: Objection, member: MemberID, actor: String, _ db: some SQLConnection,
                                  _ trail: inout AuditTrail) throws -> Objection? {
        var held = 0
        var removedFrom: [DatasetID] = []
        // Datasets first: they are few, and each is probed by its primary key.
        for row in try db.query("""
            SELECT d.id, m.removed_version FROM datasets d CROSS JOIN dataset_members m
            WHERE m.dataset_key = d.key AND m.member_key = (SELECT member_key FROM members WHERE id = \(member.rawValue))
            ORDER BY d.id\(.bytewise)
            """) {
            if row.isNull(1) { held += 1 } else { removedFrom.append(DatasetID(rawValue: try row.text(0))) }
        }
        guard let done = try objection.completedOnceRemoved(heldBy: held, removedFrom: removedFrom, at: trail.recordedDate) else { return nil }
        try appendEvents(done.timeline, from: objection.timeline.count, of: done, actor: actor, db, &trail)
        return done
    }

    public func registerModel(name: String, datasets: [DatasetID], actor: String) async throws -> TrainedModel {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ConsentError.invalidField(field: "name", message: "a model needs a name")
        }
        guard !datasets.isEmpty else { throw ConsentError.invalidField(field: "datasets", message: "name at least one dataset") }
        let instant = now()
        return try await driver.write { db in
            var trail = try AuditTrail.begin(db, at: instant)
            guard try db.query("SELECT name FROM models WHERE name = \(name)").isEmpty else {
                throw ConsentError.lineageConflict("a model named \(JSONWriter.string(name)) is already registered; model names are unique")
            }
            try db.execute("INSERT INTO models (name, registered_at, actor) VALUES (\(name), \(trail.recordedAt), \(actor))")
            var sources: [TrainedModel.Source] = []
            for id in datasets where !sources.contains(where: { $0.dataset == id }) {
                guard let dataset = try Self.dataset(id, db), let current = dataset.current else { throw ConsentError.unknownDataset(id) }
                try db.execute("INSERT INTO model_datasets (model, dataset_id, dataset_version) VALUES (\(name), \(id.rawValue), \(current.version))")
                sources.append(.init(dataset: id, version: current.version))
            }
            trail.append(actor: actor, action: .modelRegistered, subject: name, details: [
                "datasets": sources.map { "\($0.dataset)@\($0.version)" }.joined(separator: ","),
            ])
            try trail.finish(db)
            return TrainedModel(name: name, registeredAt: trail.recordedDate, sources: sources, removedMembers: 0)
        }
    }

    public func models() async throws -> [TrainedModel] {
        try await driver.read { db in
            try db.query("SELECT name, registered_at FROM models ORDER BY registered_at, name\(.bytewise)").map { row in
                let name = try row.text(0)
                let sources = try db.query("""
                    SELECT dataset_id, dataset_version FROM model_datasets WHERE model = \(name) ORDER BY dataset_id\(.bytewise)
                    """).map { TrainedModel.Source(dataset: DatasetID(rawValue: try $0.text(0)), version: try $0.int(1)) }
                // Members in a version the model saw, removed by a later committed version.
                let removed = try db.query("""
                    SELECT count(DISTINCT r.member_key) FROM model_datasets s
                    JOIN dataset_versions v ON v.dataset_id = s.dataset_id AND v.version > s.dataset_version AND v.state = 'committed'
                    JOIN datasets d ON d.id = v.dataset_id
                    JOIN dataset_removals r ON r.dataset_key = d.key AND r.version = v.version
                    WHERE s.model = \(name)
                    """).first?.int(0) ?? 0
                return TrainedModel(name: name, registeredAt: Timestamp.fromMicroseconds(try row.int64(1)), sources: sources, removedMembers: removed)
            }
        }
    }

    public func lineage(of member: MemberID) async throws -> MemberLineage {
        try await driver.read { db in
            guard let key = try db.memberKeys(of: [member.rawValue])[member.rawValue] else { throw ConsentError.unknownMember(member) }
            var lineage = MemberLineage()
            for row in try db.query("""
                SELECT d.id, d.name, d.created_at, m.removed_version, v.created_at, v1.manifest
                FROM datasets d CROSS JOIN dataset_members m
                LEFT JOIN dataset_versions v ON v.dataset_id = d.id AND v.version = m.removed_version
                LEFT JOIN dataset_versions v1 ON v1.dataset_id = d.id AND v1.version = 1
                WHERE m.dataset_key = d.key AND m.member_key = \(key)
                ORDER BY d.created_at, d.id\(.bytewise)
                """) {
                lineage.datasets.append(.init(dataset: DatasetID(rawValue: try row.text(0)), name: try row.text(1),
                                              createdAt: Timestamp.fromMicroseconds(try row.int64(2)),
                                              removedAt: try row.optionalInt64(4).map(Timestamp.fromMicroseconds),
                                              removedInVersion: try row.optionalInt(3),
                                              categories: Self.categories(inManifest: try row.optionalText(5))))
            }
            for row in try db.query("""
                SELECT md.model, mo.registered_at, md.dataset_id, m.removed_version
                FROM model_datasets md JOIN models mo ON mo.name = md.model
                JOIN datasets d ON d.id = md.dataset_id
                CROSS JOIN dataset_members m
                WHERE m.dataset_key = d.key AND m.member_key = \(key)
                  AND (m.removed_version IS NULL OR m.removed_version > md.dataset_version)
                ORDER BY mo.registered_at, md.model\(.bytewise), md.dataset_id\(.bytewise)
                """) {
                lineage.models.append(.init(model: try row.text(0), registeredAt: Timestamp.fromMicroseconds(try row.int64(1)),
                                            dataset: DatasetID(rawValue: try row.text(2)), trainedBeforeRemoval: !row.isNull(3)))
            }
            return lineage
        }
    }

    /// Every member's id and stored data, in byte order of the ids, read from one snapshot.
    public func forEachMemberData(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) throws -> Void) async throws {
        try await streamRead({ db, emit in
            try db.forEachRow("SELECT id, data FROM members ORDER BY id\(.bytewise)") { row in try emit((try row.text(0), try row.text(1))) }
        }, consume: { (row: (id: String, data: String)) in
            var (id, data) = row
            try id.withUTF8 { id in try data.withUTF8 { data in try body(id, data) } }
        })
    }

    // MARK: Reading

    static func datasetKey(_ id: DatasetID, _ db: some SQLConnection) throws -> Int64? {
        try db.query("SELECT key FROM datasets WHERE id = \(id.rawValue)").first?.int64(0)
    }

    static func dataset(_ id: DatasetID, _ db: some SQLConnection) throws -> Dataset? {
        guard let row = try db.query("""
            SELECT name, kind, location, member_field, created_at, as_of, policy_version, policy_sha256, key FROM datasets WHERE id = \(id.rawValue)
            """).first else { return nil }
        guard let kind = DatasetKind(rawValue: try row.text(1)) else { throw ConsentError.storeUnavailable("dataset \(id) has an unknown kind") }
        let versions = try db.query("""
            SELECT version, state, created_at, manifest, manifest_sha256, records, removed_members
            FROM dataset_versions WHERE dataset_id = \(id.rawValue) ORDER BY version
            """).map { version in
            guard let state = DatasetVersion.State(rawValue: try version.text(1)) else {
                throw ConsentError.storeUnavailable("dataset \(id) has a version in an unknown state")
            }
            return DatasetVersion(version: try version.int(0), state: state, createdAt: Timestamp.fromMicroseconds(try version.int64(2)),
                                  manifestJSON: try version.text(3), manifestSHA256: try version.text(4), records: try version.int(5),
                                  removedMembers: try version.int(6))
        }
        let members = try db.query("""
            SELECT count(*) FROM dataset_members WHERE dataset_key = \(try row.int64(8)) AND removed_version IS NULL
            """).first?.int(0) ?? 0
        return Dataset(id: id, name: try row.text(0), kind: kind, location: try row.text(2), memberField: try row.text(3),
                       createdAt: Timestamp.fromMicroseconds(try row.int64(4)), asOf: Timestamp.fromMicroseconds(try row.int64(5)),
                       policyVersion: try row.optionalText(6), policySHA256: try row.optionalText(7), versions: versions, members: members)
    }

    /// Runs `insert` (an INSERT … SELECT over members whose id is in the batch, ignoring rows that
    /// exist) for `members`, 50,000 ids a statement; an id the store does not hold is refused.
    /// Returns the rows inserted.
    public func heldObjectors() async throws -> [HeldObjector] {
        try await driver.read { db in try Self.heldObjectors(datasetKey: nil, db) }
    }

    /// Members held by a dataset's current version (one dataset's, when `datasetKey` is given)
    /// whose objection was upheld, from the few upheld objections outwards.
    static func heldObjectors(datasetKey: Int64?, _ db: some SQLConnection) throws -> [HeldObjector] {
        var sql: SQL = """
            SELECT d.id, m.id, o.id,
                   CASE WHEN EXISTS (SELECT 1 FROM objection_events c WHERE c.objection_id = o.id AND c.kind = 'completed') THEN 1 ELSE 0 END
            FROM objection_events e
            JOIN objections o ON o.id = e.objection_id
            JOIN members m ON m.member_key = o.member_key
            JOIN dataset_members dm ON dm.member_key = o.member_key AND dm.removed_version IS NULL
            JOIN datasets d ON d.key = dm.dataset_key
            WHERE e.kind = 'decided' AND e.outcome = 'uphold'
            """
        if let datasetKey { sql = sql + " AND dm.dataset_key = \(datasetKey)" }
        return try db.query(sql + " ORDER BY d.id\(.bytewise), m.id\(.bytewise), o.id\(.bytewise)").compactMap { row in
            guard let member = MemberID(try row.text(1)) else { return nil }
            return HeldObjector(dataset: DatasetID(rawValue: try row.text(0)), member: member,
                                objection: ObjectionID(rawValue: try row.text(2)), completed: try row.int(3) != 0)
        }
    }

    /// A set of a dataset's members, as the log records it by digest.
    enum MemberSet {
        /// The members the dataset was registered with (removed since or not).
        case registered(Int64)
        /// The members a purge's version means to remove.
        case removing(Int64, version: Int)
        /// The members a committed purge removed.
        case removed(Int64, version: Int)
    }

    /// The ``Digest/MemberSet`` digest of `set`, read from the store in byte order.
    static func memberSetSHA256(_ set: MemberSet, _ db: some SQLConnection) throws -> String {
        let sql: SQL
        switch set {
        case .registered(let key):
            sql = "SELECT m.id FROM dataset_members d JOIN members m ON m.member_key = d.member_key WHERE d.dataset_key = \(key)"
        case .removing(let key, let version):
            sql = """
                SELECT m.id FROM dataset_removals r JOIN members m ON m.member_key = r.member_key
                WHERE r.dataset_key = \(key) AND r.version = \(version)
                """
        case .removed(let key, let version):
            sql = """
                SELECT m.id FROM dataset_members d JOIN members m ON m.member_key = d.member_key
                WHERE d.dataset_key = \(key) AND d.removed_version = \(version)
                """
        }
        var digest = Digest.MemberSet()
        try db.forEachRow(sql + " ORDER BY m.id\(.bytewise)") { digest.add(try $0.text(0)) }
        return digest.sha256
    }

    private static func insertMembers(_ members: [MemberID], _ db: some SQLConnection, _ insert: ([String]) -> SQL) throws -> Int {
        var inserted = 0
        var start = 0
        while start < members.count {
            let batch = members[start..<min(start + 50_000, members.count)].map(\.rawValue)
            start += batch.count
            let count = try db.execute(insert(batch))
            inserted += count
            if count < Set(batch).count {
                // Fewer rows than ids: an id the store does not hold, or one already inserted.
                let known = try db.memberKeys(of: Set(batch))
                if let unknown = batch.first(where: { known[$0] == nil }), let member = MemberID(unknown) {
                    throw ConsentError.unknownMember(member)
                }
            }
        }
        return inserted
    }

    /// The `categories` a dataset's manifest records; none when it records none or cannot be read.
    static func categories(inManifest manifest: String?) -> [String] {
        guard let manifest, case .object(let fields)? = try? JSONParser.parse(manifest),
              case .array(let values)? = fields.first(where: { $0.key == "categories" })?.value else { return [] }
        return values.compactMap { if case .string(let name) = $0 { name } else { nil } }
    }
}
