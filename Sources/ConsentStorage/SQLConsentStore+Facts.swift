import ConsentCore
import ConsentFormats
import Foundation

/// `audit verify` checks the facts, not only the chain: every choice, member, objection event,
/// policy activation, dataset version and model is compared with the log entry recorded with it
/// in the same transaction, so a row altered, deleted or inserted behind Consentry's back (its
/// triggers dropped) is found and named, even though the chain itself is intact.
extension SQLConsentStore {
    static func checkFacts(_ db: some SQLConnection) throws {
        try checkLedger(db)
        try checkPolicies(db)
        try checkObjections(db)
        try checkMembers(db)
        try checkDatasets(db)
        try checkModels(db)
    }

    /// A log entry, as the checks read it.
    struct LogEntry {
        var sequence: Int64
        var subject: String
        var actor: String
        var recordedAt: Int64
        var details: String
        var action: String

        init(_ row: SQLRow) throws {
            sequence = try row.int64(0)
            subject = try row.text(1)
            actor = try row.text(2)
            recordedAt = try row.int64(3)
            details = try row.text(4)
            action = try row.text(5)
        }

        var detailFields: [String: String] { AuditChain.details(fromJSON: details) ?? [:] }
    }

    static var logColumns: String { "sequence, subject, actor, recorded_at, details, action" }

    /// The entries of `actions`, in log order, a page at a time.
    static func logCursor(_ db: some SQLConnection, actions: [String]) -> PagedCursor<LogEntry> {
        PagedCursor { after, page in
            try db.query("""
                SELECT \(identifier: logColumns) FROM audit_log WHERE action IN \(texts: actions) AND sequence > \(after)
                ORDER BY sequence LIMIT \(page)
                """).map { row in let entry = try LogEntry(row); return (entry.sequence, entry) }
        }
    }

    static func altered(_ message: String) -> ConsentError { .factAltered(message) }

    /// Whether a row's recording instant and its log entry's are those of one write. Stores made
    /// before 2026-12-01 read the clock more than once in a transaction (microseconds to
    /// milliseconds apart); later ones record one instant for both.
    static func sameWrite(_ a: Int64, _ b: Int64) -> Bool { abs(a - b) < 1_000_000 }

    // MARK: The ledger

    /// Each ledger entry is the choice its `choice_recorded` entry records, one for one, in order.
    /// (A page looks each member up by key: joining the whole members table per page made
    /// PostgreSQL hash it for every page.)
    static func checkLedger(_ db: some SQLConnection) throws {
        var ledger = PagedCursor<(member: String?, event: ConsentEvent?, recordedAt: Int64)> { after, page in
            try db.query("""
                SELECT e.sequence, e.choice, e.channel, e.at, e.actor, e.recorded_at,
                       (SELECT m.id FROM members m WHERE m.member_key = e.member_key)
                FROM consent_events e WHERE e.sequence > \(after) ORDER BY e.sequence LIMIT \(page)
                """).map { row in
                let member = try row.optionalText(6)
                let event = try member.flatMap(MemberID.init).map { id in try Self.event(row, of: id) }
                return (try row.int64(0), (member, event, try row.int64(5)))
            }
        }
        var log = logCursor(db, actions: [AuditAction.choiceRecorded.rawValue])
        while true {
            switch (try ledger.next(), try log.next()) {
            case (nil, nil):
                return
            case (let (sequence, fact)?, nil):
                throw altered("ledger entry \(sequence) (\(fact.member ?? "no member")) has no entry in the log: it was inserted behind Consentry's back")
            case (nil, let (_, entry)?):
                throw altered("log entry \(entry.sequence) records a choice of \(entry.subject) that the ledger does not hold: a ledger entry was deleted")
            case (let (sequence, fact)?, let (_, entry)?):
                guard let member = fact.member, let event = fact.event else {
                    throw altered("ledger entry \(sequence) names no member (member key altered or member deleted)")
                }
                let expected = StoredRecords.choiceAudit(event, recordedAt: Timestamp.format(Timestamp.fromMicroseconds(fact.recordedAt)))
                guard member == entry.subject, expected.detailsJSON == entry.details, event.actor == entry.actor, sameWrite(fact.recordedAt, entry.recordedAt) else {
                    let logged = entry.detailFields
                    throw altered("""
                        ledger entry \(sequence) (\(member): \(event.choice.rawValue) via \(event.channel.rawValue) at \(Timestamp.format(event.at))) \
                        does not match log entry \(entry.sequence) (\(entry.subject): \(logged["choice"] ?? "?") via \(logged["channel"] ?? "?") \
                        at \(logged["at"] ?? "?")): the ledger was altered, or an entry deleted, inserted or moved
                        """)
                }
            }
        }
    }

    // MARK: Policies

    /// Each activation is the version and SHA-256 its `policy_applied` entry records, and each
    /// stored version's text still has its SHA-256.
    static func checkPolicies(_ db: some SQLConnection) throws {
        var activations = PagedCursor<(version: String, sha: String?, text: String?, at: Int64, actor: String)> { after, page in
            try db.query("""
                SELECT a.id, a.version, v.sha256, v.canonical_json, a.activated_at, a.actor FROM policy_activations a
                LEFT JOIN policy_versions v ON v.version = a.version WHERE a.id > \(after) ORDER BY a.id LIMIT \(page)
                """).map { row in
                (try row.int64(0), (try row.text(1), try row.optionalText(2), try row.optionalText(3), try row.int64(4), try row.text(5)))
            }
        }
        var log = logCursor(db, actions: [AuditAction.policyApplied.rawValue])
        while true {
            switch (try activations.next(), try log.next()) {
            case (nil, nil): return
            case (let (id, fact)?, nil): throw altered("policy activation \(id) (\(fact.version)) has no entry in the log")
            case (nil, let (_, entry)?): throw altered("log entry \(entry.sequence) activates policy \(entry.subject), which no activation records")
            case (let (id, fact)?, let (_, entry)?):
                guard let sha = fact.sha, let text = fact.text else { throw altered("policy version \(fact.version) of activation \(id) is missing") }
                guard Digest.sha256Hex(text) == sha else { throw altered("policy version \(fact.version): its text no longer has its SHA-256") }
                guard fact.version == entry.subject, entry.detailFields["sha256"] == sha, sameWrite(fact.at, entry.recordedAt),
                      fact.actor == entry.actor else {
                    throw altered("policy activation \(id) (\(fact.version)) does not match log entry \(entry.sequence) (\(entry.subject))")
                }
            }
        }
    }

    // MARK: Objections

    /// Each objection's events are, in order, those its log entries record.
    static func checkObjections(_ db: some SQLConnection) throws {
        var logged: [String: [LogEntry]] = [:]
        var log = logCursor(db, actions: [AuditAction.objectionFiled, .objectionExtended, .objectionDecided, .objectionCompleted].map(\.rawValue))
        while let (_, entry) = try log.next() { logged[entry.subject, default: []].append(entry) }
        let objections: [(memberKey: Int64?, objection: Objection)]
        do {
            objections = try Self.objections(db, includingNonMembers: true)
        } catch let error as ConsentError {
            throw altered("an objection's events no longer form a legal timeline: \(error)")
        }
        var seen = Set<String>()
        for (_, objection) in objections {
            let id = objection.id.rawValue
            seen.insert(id)
            let entries = logged[id] ?? []
            let actors = try db.query("SELECT actor, recorded_at FROM objection_events WHERE objection_id = \(id) ORDER BY position")
            guard entries.count == objection.timeline.count, actors.count == entries.count else {
                throw altered("objection \(id) has \(objection.timeline.count) events, the log records \(entries.count)")
            }
            for (position, event) in objection.timeline.enumerated() {
                let row = StoredRecords.objectionEventRow(event, of: objection)
                let entry = entries[position]
                guard entry.action == row.action.rawValue, entry.details == AuditChain.detailsJSON(row.details),
                      try actors[position].text(0) == entry.actor, sameWrite(try actors[position].int64(1), entry.recordedAt) else {
                    throw altered("objection \(id), event \(position) (\(row.kind)) does not match log entry \(entry.sequence)")
                }
            }
        }
        if let missing = logged.keys.sorted().first(where: { !seen.contains($0) }) {
            throw altered("log entry \(logged[missing]![0].sequence) records objection \(missing), which the store does not hold: it was deleted")
        }
    }

    // MARK: Members

    /// Each member's facts and data are those their last `member_imported` entry records (by
    /// digest), every such entry names a member the store holds, and the member's versions (the
    /// row and those `member_versions` keeps) are, one for one, those the entries make.
    static func checkMembers(_ db: some SQLConnection) throws {
        // The versions kept, oldest first, by member key (read once: which members have earlier
        // versions, and what they are).
        var kept: [Int64: [KeptVersion]] = [:]
        try db.forEachRow("""
            SELECT member_key, birth_date, country, notified_at, valid_from, recorded_at FROM member_versions ORDER BY sequence
            """) { row in
            kept[try row.int64(0), default: []].append(KeptVersion(birthDate: try row.optionalText(1), country: try row.text(2),
                                                                   notifiedAt: try row.optionalInt64(3), validFrom: try row.optionalInt64(4),
                                                                   recordedAt: try row.int64(5)))
        }
        // Driven from the last import entry of each id (members are found by their unique id):
        // one pass, whatever the number of members. Members imported more than once, or with
        // earlier versions kept, are checked version by version afterwards.
        var matched = 0
        var histories: [String] = []
        try db.forEachRow("""
            SELECT l.subject, l.sequence, a.details, m.id, m.birth_date, m.country, m.notified_at, m.data,
                   l.imports, m.member_key, m.facts_valid_from, m.facts_recorded_at, a.recorded_at
            FROM (SELECT subject, max(sequence) AS sequence, count(*) AS imports FROM audit_log
                  WHERE action = \(AuditAction.memberImported.rawValue) GROUP BY subject) l
            LEFT JOIN members m ON m.id = l.subject
            LEFT JOIN audit_log a ON a.sequence = l.sequence
            """) { row in
            let (subject, sequence) = (try row.text(0), try row.int64(1))
            guard let id = try row.optionalText(3) else {
                throw altered("log entry \(sequence) imports member \(subject), whom the store does not hold: the member was deleted")
            }
            let (birth, country) = (try row.optionalText(4), try row.text(5))
            let member = try StoredRecords.member(id: id, birthDate: birth, country: country, notifiedAt: try row.optionalInt64(6))
            guard let details = try row.optionalText(2).flatMap(AuditChain.details(fromJSON:)),
                  details["record_sha256"] == MemberRecords.canonicalDigest(member, dataJSON: try row.text(7)) else {
                throw altered("member \(id) (country \(country), born \(birth ?? "unknown")) does not match its last import, log entry \(sequence)")
            }
            matched += 1
            if try row.int(8) > 1 || kept[try row.int64(9)] != nil {
                histories.append(id)
            } else {
                // One import: one version, valid from the line's valid_from (else from the
                // beginning), recorded with the entry.
                guard try row.optionalInt64(10) == details["valid_from"].flatMap { Timestamp.microseconds($0) },
                      sameWrite(try row.int64(11), try row.int64(12)) else {
                    throw altered("member \(id): when its facts are valid from or were recorded does not match its import, log entry \(sequence)")
                }
            }
        }
        let members = try db.query("SELECT count(*) FROM members").first?.int(0) ?? 0
        guard members == matched else {
            // More members than imports: find one that was never imported (only on this error path).
            var imported = Set<String>()
            try db.forEachRow("SELECT DISTINCT subject FROM audit_log WHERE action = \(AuditAction.memberImported.rawValue)") { imported.insert(try $0.text(0)) }
            var stray = "?"
            try db.forEachRow("SELECT id FROM members ORDER BY id\(.bytewise)") { row in
                let id = try row.text(0)
                if stray == "?", !imported.contains(id) { stray = id }
            }
            throw altered("member \(stray) has no import in the log: it was inserted behind Consentry's back")
        }
        try checkMemberHistories(histories, kept: kept, db)
    }

    /// A version of a member's facts as `member_versions` keeps it.
    private struct KeptVersion {
        var birthDate: String?
        var country: String
        var notifiedAt: Int64?
        var validFrom: Int64?
        var recordedAt: Int64
    }

    /// One import of a member, as its log entry records it.
    private struct Imported {
        /// Nil for an import made before the log recorded the facts' digest (2026-12-01).
        var factsSHA256: String?
        var validFrom: Int64?
        var recordedAt: Int64
        var sequence: Int64
    }

    /// Replays the imports of each member in `ids`, one write at a time, against the versions the
    /// store holds for them (those `member_versions` keeps, oldest first, then the row's). A write
    /// makes at most one version, holding its last line's facts: a version recorded in a write
    /// must have those facts, valid from the beginning (a first write), from the write itself or
    /// from a `valid_from` its lines gave, and can only be there when a line of the write changed
    /// the facts or gave `valid_from`; a write without one must have left the facts as they
    /// were. (Lines of one id in one write are applied one by one on SQLite and the last of each
    /// batch on PostgreSQL: both give the same last version, which is what is checked.)
    private static func checkMemberHistories(_ ids: [String], kept: [Int64: [KeptVersion]], _ db: some SQLConnection) throws {
        guard !ids.isEmpty else { return }
        var imports: [String: [Imported]] = [:]
        try db.forEachRow("""
            SELECT subject, sequence, details, recorded_at FROM audit_log
            WHERE action = \(AuditAction.memberImported.rawValue) AND subject IN \(texts: ids) ORDER BY sequence
            """) { row in
            let details = AuditChain.details(fromJSON: try row.text(2)) ?? [:]
            imports[try row.text(0), default: []].append(Imported(factsSHA256: details["facts_sha256"], validFrom: details["valid_from"].flatMap { Timestamp.microseconds($0) },
                                                                  recordedAt: try row.int64(3), sequence: try row.int64(1)))
        }
        // Each member's versions: those kept, oldest first, then the row's.
        typealias Version = (member: Member, validFrom: Int64?, recordedAt: Int64)
        var stored: [String: [Version]] = [:]
        for row in try db.query("""
            SELECT id, member_key, birth_date, country, notified_at, facts_valid_from, facts_recorded_at FROM members WHERE id IN \(texts: ids)
            """) {
            let id = try row.text(0)
            var versions = try (kept[try row.int64(1)] ?? []).map { version -> Version in
                (try StoredRecords.member(id: id, birthDate: version.birthDate, country: version.country, notifiedAt: version.notifiedAt),
                 version.validFrom, version.recordedAt)
            }
            versions.append((try StoredRecords.member(id: id, birthDate: try row.optionalText(2), country: try row.text(3), notifiedAt: try row.optionalInt64(4)),
                             try row.optionalInt64(5), try row.int64(6)))
            stored[id] = versions
        }

        for id in ids.sorted() {
            let entries = imports[id] ?? []
            // A member imported before the log recorded facts alone: its versions cannot be
            // replayed (its last version is still checked against its last import's record).
            guard entries.allSatisfy({ $0.factsSHA256 != nil }) else { continue }
            let held = stored[id] ?? []
            let writes = Set(entries.map(\.recordedAt))
            if let stray = held.firstIndex(where: { !writes.contains($0.recordedAt) }) {
                throw altered("""
                    member \(id): version \(stray + 1) of its facts (country \(held[stray].member.country), recorded \
                    \(Timestamp.format(Timestamp.fromMicroseconds(held[stray].recordedAt)))) was made by no import the log records: \
                    it was inserted or altered behind Consentry's back
                    """)
            }
            var next = 0
            var facts: String?
            var position = 0
            while position < entries.count {
                let write = entries[position...].prefix { $0.recordedAt == entries[position].recordedAt }
                position += write.count
                let last = write.last!
                let first = facts == nil
                func mismatch(_ what: String) -> ConsentError {
                    altered("member \(id): \(what), by the imports recorded at \(Timestamp.format(Timestamp.fromMicroseconds(last.recordedAt))) (log entry \(last.sequence))")
                }
                if next < held.count, held[next].recordedAt == last.recordedAt {
                    let version = held[next]
                    next += 1
                    let changes = first || write.contains { $0.validFrom != nil || $0.factsSHA256 != facts }
                    let validFroms = Set(write.compactMap(\.validFrom)).union([last.recordedAt])
                    guard changes, MemberRecords.factsDigest(version.member) == last.factsSHA256,
                          version.validFrom.map(validFroms.contains) ?? first else {
                        throw mismatch("""
                            version \(next) of its facts (country \(version.member.country), born \(version.member.birthDate?.description ?? "unknown"), \
                            valid from \(version.validFrom.map { Timestamp.format(Timestamp.fromMicroseconds($0)) } ?? "the beginning")) is not what the log records
                            """)
                    }
                } else if first || last.validFrom != nil || last.factsSHA256 != facts {
                    throw mismatch("the log records a version of its facts that the store does not hold (\(held.count) held): a version was deleted")
                }
                facts = last.factsSHA256
            }
            if next < held.count {
                throw altered("""
                    member \(id) has \(held.count) versions of its facts; its imports in the log make \(next): version \(next + 1), \
                    recorded \(Timestamp.format(Timestamp.fromMicroseconds(held[next].recordedAt))), was inserted behind Consentry's back
                    """)
            }
        }
    }

    // MARK: Datasets and models

    /// Each dataset, each of its versions and the members it holds match the log's registration
    /// and purge entries.
    static func checkDatasets(_ db: some SQLConnection) throws {
        var logged: [String: [LogEntry]] = [:]
        var log = logCursor(db, actions: [AuditAction.datasetRegistered, .datasetPurgeStarted, .datasetPurged, .datasetPurgeAbandoned].map(\.rawValue))
        while let (_, entry) = try log.next() { logged[entry.subject, default: []].append(entry) }
        var seen = Set<String>()
        for row in try db.query("""
            SELECT d.key, d.id, d.name, d.kind, d.location, d.as_of, d.policy_version,
                   (SELECT count(*) FROM dataset_members m WHERE m.dataset_key = d.key) FROM datasets d ORDER BY d.key
            """) {
            let (key, id) = (try row.int64(0), try row.text(1))
            seen.insert(id)
            let entries = logged[id] ?? []
            guard let registered = entries.first, registered.action == AuditAction.datasetRegistered.rawValue else {
                throw altered("dataset \(id) has no registration in the log: it was inserted behind Consentry's back")
            }
            let details = registered.detailFields
            let versions = try db.query("""
                SELECT version, state, manifest_sha256, records FROM dataset_versions WHERE dataset_id = \(id) ORDER BY version
                """)
            guard details["name"] == (try row.text(2)), details["kind"] == (try row.text(3)), details["location"] == (try row.text(4)),
                  details["as_of"] == Timestamp.format(Timestamp.fromMicroseconds(try row.int64(5))),
                  details["policy_version"] == (try row.optionalText(6) ?? ""), details["members"] == String(try row.int(7)),
                  let first = versions.first, try first.int(0) == 1, details["manifest_sha256"] == (try first.text(2)),
                  details["records"] == String(try first.int(3)) else {
                throw altered("dataset \(id) (its facts, members or version 1) does not match its registration, log entry \(registered.sequence)")
            }
            // Entries since 2026-12-01 also name the members themselves, by digest.
            if let logged = details["members_sha256"], try memberSetSHA256(.registered(key), db) != logged {
                throw altered("dataset \(id) holds other members than its registration, log entry \(registered.sequence), records (a member was added, dropped or swapped)")
            }
            for version in versions.dropFirst() {
                let (number, state, manifest) = (try version.int(0), try version.text(1), try version.text(2))
                let steps = entries.filter { $0.detailFields["version"] == String(number) }
                let started = steps.first { $0.action == AuditAction.datasetPurgeStarted.rawValue }
                let settled = steps.first { $0.action != AuditAction.datasetPurgeStarted.rawValue }
                let expected = ["pending": nil, "committed": AuditAction.datasetPurged.rawValue, "abandoned": AuditAction.datasetPurgeAbandoned.rawValue][state] ?? "?"
                guard started?.detailFields["manifest_sha256"] == manifest, settled?.action == expected else {
                    throw altered("dataset \(id) version \(number) (\(state)) does not match its purge entries in the log")
                }
                if let started, let logged = started.detailFields["removing_sha256"],
                   try memberSetSHA256(.removing(key, version: number), db) != logged {
                    throw altered("dataset \(id) version \(number) is to remove other members than log entry \(started.sequence) records")
                }
                if let settled, state == "committed" {
                    let removed = try db.query("SELECT count(*) FROM dataset_members WHERE dataset_key = \(key) AND removed_version = \(number)").first?.int(0) ?? 0
                    let removedSet = settled.detailFields["removed_sha256"]
                    guard settled.detailFields["manifest_sha256"] == manifest, settled.detailFields["removed_members"] == String(removed),
                          try removedSet == nil || removedSet == memberSetSHA256(.removed(key, version: number), db) else {
                        throw altered("dataset \(id) version \(number) removes other members than log entry \(settled.sequence) records")
                    }
                }
            }
        }
        if let missing = logged.keys.sorted().first(where: { !seen.contains($0) }) {
            throw altered("log entry \(logged[missing]![0].sequence) registers dataset \(missing), which the store does not hold: it was deleted")
        }
    }

    /// Each model is trained on the dataset versions its log entry records.
    static func checkModels(_ db: some SQLConnection) throws {
        var logged: [String: LogEntry] = [:]
        var log = logCursor(db, actions: [AuditAction.modelRegistered.rawValue])
        while let (_, entry) = try log.next() { logged[entry.subject] = entry }
        for row in try db.query("SELECT name, registered_at, actor FROM models ORDER BY name\(.bytewise)") {
            let name = try row.text(0)
            guard let entry = logged.removeValue(forKey: name) else { throw altered("model \(name) has no registration in the log") }
            let sources = Set(try db.query("SELECT dataset_id, dataset_version FROM model_datasets WHERE model = \(name)").map {
                "\(try $0.text(0))@\(try $0.int(1))"
            })
            let recorded = Set((entry.detailFields["datasets"] ?? "").split(separator: ",").map(String.init))
            guard sources == recorded, sameWrite(try row.int64(1), entry.recordedAt), try row.text(2) == entry.actor else {
                throw altered("model \(name) does not match its registration, log entry \(entry.sequence)")
            }
        }
        if let (name, entry) = logged.min(by: { $0.value.sequence < $1.value.sequence }) {
            throw altered("log entry \(entry.sequence) registers model \(name), which the store does not hold: it was deleted")
        }
    }
}

/// Rows read a page at a time, keyed by an increasing integer.
struct PagedCursor<Row> {
    let fetch: (Int64, Int) throws -> [(Int64, Row)]
    private var buffer: [(Int64, Row)] = []
    private var position = 0
    private var after = Int64.min
    private var finished = false
    static var page: Int { 10_000 }

    init(_ fetch: @escaping (Int64, Int) throws -> [(Int64, Row)]) { self.fetch = fetch }

    mutating func next() throws -> (Int64, Row)? {
        if position == buffer.count {
            guard !finished else { return nil }
            buffer = try fetch(after, Self.page)
            position = 0
            finished = buffer.count < Self.page
            guard let last = buffer.last else { return nil }
            after = last.0
        }
        defer { position += 1 }
        return buffer[position]
    }
}
