import ConsentCore
import ConsentFormats
import Foundation

extension SQLConsentStore {
    static var memberColumns: [String] {
        ["id", "birth_date", "country", "notified_at", "data", "updated_at", "facts_valid_from", "facts_recorded_at"]
    }

    /// How an imported line updates a known member: the data is replaced; the facts become a new
    /// version (valid from the line's `valid_from`, else from now) when they differ or the line
    /// corrects the past, and stay the version they are otherwise. The schema's trigger keeps
    /// the version replaced. A second line for one id in one import replaces the version the
    /// first made (the trigger keeps nothing recorded in the same write), valid from when that
    /// one was unless the line says.
    static var memberUpdate: String {
        let changed = """
            (coalesce(members.birth_date, '') <> coalesce(excluded.birth_date, '') OR members.country <> excluded.country
             OR coalesce(members.notified_at, -1) <> coalesce(excluded.notified_at, -1) OR excluded.facts_valid_from IS NOT NULL)
            """
        return """
            birth_date = excluded.birth_date, country = excluded.country, notified_at = excluded.notified_at,
            data = excluded.data, updated_at = excluded.updated_at,
            facts_valid_from = CASE WHEN \(changed) THEN coalesce(excluded.facts_valid_from,
                CASE WHEN members.facts_recorded_at = excluded.facts_recorded_at THEN members.facts_valid_from ELSE excluded.facts_recorded_at END)
                ELSE members.facts_valid_from END,
            facts_recorded_at = CASE WHEN \(changed) THEN excluded.facts_recorded_at ELSE members.facts_recorded_at END
            """
    }

    /// Lines per batch handed from the parsing thread to the connection.
    static var importBatchSize: Int { 10_000 }

    /// Inserts or updates members from `lines`, in one transaction: all or nothing unless
    /// `options.skipInvalid`. Lines are parsed, digested and linked into the audit chain on a
    /// second thread while this one writes the previous batch; memory stays bounded whatever
    /// the file's size. The last line for an id wins.
    public func importMembers<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<MemberRecord> {
        let instant = now()
        let lines = MovedLines(lines)
        let digestApart = !driver.remote
        return try await driver.writeBulk { db in
            var trail = try AuditTrail.begin(db, at: instant)
            // Into an empty table (a platform's first import) the first line of an id cannot
            // conflict with anything, so it is appended; every other line is an upsert.
            let empty = try db.query("SELECT member_key FROM members LIMIT 1").isEmpty
            let batches = Self.memberBatches(lines.base, appendFirstLines: empty, linker: trail.linker,
                                             recordedAtText: trail.recordedAtText, source: options.source,
                                             actor: options.actor, digestApart: digestApart)
            defer { batches.cancel() }
            var report = ImportReport()
            while let batch = batches.take() {
                for failure in batch.outcomes {
                    report.read += 1
                    if report.read % options.progressInterval == 0 { options.onProgress(report.read) }
                    if let failure {
                        guard options.skipInvalid else { throw failure }
                        report.skipped += 1
                        options.onSkip(failure)
                    } else {
                        report.imported += 1
                    }
                }
                if let audit = batch.audit { try trail.adopt(audit, end: batch.linker, db) }
                if let appended = batch.appendedBulk { try db.append(bulk: appended, into: "members", columns: Self.memberColumns) }
                if !batch.upserted.isEmpty { try db.upsert(batch.upserted, into: "members", columns: Self.memberColumns, key: "id", assignments: Self.memberUpdate) }
            }
            try trail.finish(db)
            return report
        }
    }

    private struct MemberBatch: Sendable {
        /// Per line, in order: nil for an imported member, or why the line was refused.
        var outcomes: [ConsentError?] = []
        /// The imported members, their data's JSON and when their facts hold, in order, until
        /// their audit entries are digested and linked.
        var imported: [(member: Member, data: String, validFrom: Date?)] = []
        var appended = RowBatch(columns: 8)
        var upserted = RowBatch(columns: 8)
        /// Once digested: the imported members' audit entries, linked into the chain, and where
        /// they left it; new members' rows, both encoded for the driver's bulk path.
        var audit: Driver.Connection.BulkRows?
        var linker: AuditLinker
        var appendedBulk: Driver.Connection.BulkRows?
    }

    /// Starts parsing `lines` on a second thread, and digesting and linking their audit entries
    /// on a third when `digestApart` (parsing and digesting then share the core SQLite's writer
    /// leaves free), else on the second too: PostgreSQL's server needs that core, and a third
    /// busy thread made its member import 10-15% slower.
    private static func memberBatches(_ lines: AnySequence<ImportLine<MemberRecord>>, appendFirstLines: Bool, linker start: AuditLinker,
                                      recordedAtText: String, source: String, actor: String,
                                      digestApart: Bool) -> ReadAheadBatches<MemberBatch> {
        let sourceJSON = JSONWriter.string(source)
        // Hashes of the ids seen so far (8 bytes a member): equal ids have equal hashes, so a
        // hash seen for the first time is an id seen for the first time.
        var seen = SeenHashes()
        let parse = { (batch: inout MemberBatch, line: ImportLine<MemberRecord>) in
            switch line.record {
            case .failure(let error):
                batch.outcomes.append(error)
            case .success(let record):
                let member = record.member
                if let validFrom = record.validFrom, Timestamp.microseconds(validFrom) > start.recordedAt {
                    batch.outcomes.append(ConsentError.invalidRecord(source: source, line: line.line, field: "valid_from", message: """
                        \(Timestamp.format(validFrom)) is in the future; a version of a member's facts holds from when it is recorded at the latest
                        """))
                    return
                }
                let data = MemberRecords.dataJSON(record.data)
                let first = seen.insert(member.id.rawValue.hashValue)
                if appendFirstLines && first {
                    Self.add(record, data: data, recordedAt: start.recordedAt, to: &batch.appended)
                } else {
                    Self.add(record, data: data, recordedAt: start.recordedAt, to: &batch.upserted)
                }
                batch.imported.append((member, data, record.validFrom))
                batch.outcomes.append(nil)
            }
        }
        var linker = start
        let digest = { (batch: inout MemberBatch) in
            var audit = RowBatch(columns: AuditLinker.columns.count, capacity: batch.imported.count)
            for (member, data, validFrom) in batch.imported {
                linker.link(StoredRecords.memberAudit(member, dataJSON: data, validFrom: validFrom, sourceJSON: sourceJSON,
                                                      actor: actor, recordedAt: recordedAtText),
                            into: &audit)
            }
            batch.imported = []
            batch.linker = linker
            if !audit.isEmpty { batch.audit = Driver.Connection.bulkRows(audit) }
            if !batch.appended.isEmpty { batch.appendedBulk = Driver.Connection.bulkRows(batch.appended) }
            batch.appended = RowBatch(columns: 8)
        }
        guard digestApart else {
            return ReadAheadBatches(lines, batchSize: importBatchSize, makeBatch: { MemberBatch(linker: start) }, add: parse, complete: digest)
        }
        return ReadAheadBatches(lines, batchSize: importBatchSize, makeBatch: { MemberBatch(linker: start) }, add: parse).then { batch in
            digest(&batch)
            return batch
        }
    }

    /// A member's row, as ``memberColumns`` lists them.
    private static func add(_ record: MemberRecord, data: String, recordedAt: Int64, to rows: inout RowBatch) {
        let member = record.member
        rows.append(.text(member.id.rawValue), SQLValue(member.birthDate?.description), .text(member.country.description),
                    SQLValue(member.notifiedAt.map(Timestamp.microseconds)), .text(data), .integer(recordedAt),
                    SQLValue(record.validFrom.map(Timestamp.microseconds)), .integer(recordedAt))
    }

    public func member(_ id: MemberID) async throws -> MemberRecord? {
        try await driver.read { db in try Self.record(id, db) }
    }

    public func facts(of member: MemberID) async throws -> MemberFacts? {
        try await driver.read { db in try Self.facts(of: member, db) }
    }

    static func facts(of member: MemberID, _ db: some SQLConnection) throws -> MemberFacts? {
        try facts(of: [member], db)[member]
    }

    /// The facts of every member in `members` that the store holds, in three statements sent
    /// together (one round trip on PostgreSQL), whatever their number: a group commit reads
    /// them for its whole batch at once. With `upToChoices`, members with more choices than that
    /// are left out: a group commit must not wait on one member's long history (their facts are
    /// read later, by whoever needs them).
    static func facts(of members: some Collection<MemberID>, upToChoices: Int? = nil,
                      _ db: some SQLConnection) throws -> [MemberID: MemberFacts] {
        let ids = Array(Set(members.map { $0.rawValue }))
        guard !ids.isEmpty else { return [:] }
        // "No choice after the limit's": at most that many steps of the member's index, however long the history.
        let short: SQL = upToChoices.map { " AND NOT EXISTS (SELECT 1 FROM consent_events c WHERE c.member_key = m.member_key LIMIT 1 OFFSET \($0))" } ?? ""
        let rows = try db.queries([
            "SELECT m.id, m.birth_date, m.country, m.notified_at FROM members m WHERE m.id IN \(texts: ids)" + short,
            """
            SELECT e.sequence, e.choice, e.channel, e.at, e.actor, e.recorded_at, m.id FROM consent_events e
            JOIN members m ON m.member_key = e.member_key WHERE m.id IN \(texts: ids)
            """ + short + " ORDER BY e.sequence",
            // A long history's member has no row in `facts`: their objections are passed over.
            objectionsStatement(members: ids),
        ])
        var facts: [MemberID: MemberFacts] = [:]
        for row in rows[0] {
            let member = try StoredRecords.member(id: try row.text(0), birthDate: try row.optionalText(1), country: try row.text(2),
                                                  notifiedAt: try row.optionalInt64(3))
            facts[member.id] = MemberFacts(member: member, choices: [], objections: [])
        }
        for row in rows[1] {
            guard let member = MemberID(try row.text(6)) else { continue }
            facts[member]?.choices.append(try event(row, of: member))
        }
        for (_, objection) in try objections(from: rows[2]) {
            guard let member = objection.member else { continue }
            facts[member]?.objections.append(objection)
        }
        return facts
    }

    static func record(_ id: MemberID, _ db: some SQLConnection) throws -> MemberRecord? {
        guard let row = try db.query("SELECT id, birth_date, country, notified_at, data FROM members WHERE id = \(id.rawValue)").first
        else { return nil }
        var record = MemberRecord(member: try StoredRecords.member(id: try row.text(0), birthDate: try row.optionalText(1),
                                                                   country: try row.text(2), notifiedAt: try row.optionalInt64(3)))
        record.data = MemberRecords.data(fromJSON: try row.text(4))
        return record
    }
}

/// An import's lines, moved into the transaction's closure (type-erased, so the closure
/// captures no generic type): the parsing thread iterates them once, and the import returns
/// only after it has stopped.
struct MovedLines<Record: Sendable>: @unchecked Sendable {
    let base: AnySequence<ImportLine<Record>>

    init<Lines: Sequence>(_ lines: Lines) where Lines.Element == ImportLine<Record> { base = AnySequence(lines) }
}

/// The hashes of the ids an import has read, in an open-addressing table of 8-byte slots. The
/// hashes are already well mixed, so a hash's low bits are its slot: a `Set<Int>` hashed each
/// one again, which was 7% of the parsing thread. Two ids with one hash make the second's
/// first line look seen, which only sends it through the upsert, correct for a new id too.
struct SeenHashes {
    /// 0 marks an empty slot; a hash of 0 is kept as 1.
    private var slots = [UInt64](repeating: 0, count: 1 << 16)
    private var count = 0

    /// Adds `hash`; true when it was not there yet.
    mutating func insert(_ hash: Int) -> Bool {
        if count * 2 >= slots.count { grow() }
        let key = Swift.max(UInt64(bitPattern: Int64(hash)), 1)
        let inserted = Self.insert(key, into: &slots)
        if inserted { count += 1 }
        return inserted
    }

    private static func insert(_ key: UInt64, into slots: inout [UInt64]) -> Bool {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: key) & mask
        while true {
            switch slots[index] {
            case key: return false
            case 0: slots[index] = key; return true
            default: index = (index + 1) & mask
            }
        }
    }

    private mutating func grow() {
        var larger = [UInt64](repeating: 0, count: slots.count * 2)
        for key in slots where key != 0 { _ = Self.insert(key, into: &larger) }
        slots = larger
    }
}
