import ConsentCore
import ConsentFormats
import Foundation

extension SQLConsentStore {
    static var ledgerColumns: [String] { ["sequence", "member_key", "choice", "channel", "at", "actor", "recorded_at"] }

    /// Appends choices from `lines` in file order, in one transaction: all or nothing unless
    /// `options.skipInvalid`. A line naming an unknown member is refused with its line number.
    public func importChoices<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<ConsentEvent> {
        let instant = now()
        let lines = MovedLines(lines)
        return try await driver.writeBulk { db in
            var trail = try AuditTrail.begin(db, at: instant)
            var sequence = try Self.lastSequence(db)
            let batches = Self.choiceBatches(lines.base, linker: trail.linker, recordedAtText: trail.recordedAtText)
            defer { batches.cancel() }
            var report = ImportReport()
            while let batch = batches.take() {
                let keys = try db.memberKeys(of: batch.members)
                var rows = RowBatch(columns: Self.ledgerColumns.count, capacity: batch.outcomes.count)
                var refused = false
                for outcome in batch.outcomes {
                    report.read += 1
                    if report.read % options.progressInterval == 0 { options.onProgress(report.read) }
                    do {
                        let (line, event, _) = try outcome.get()
                        guard let key = keys[event.member.rawValue] else {
                            refused = true
                            throw ConsentError.invalidRecord(source: options.source, line: line, field: "member",
                                                             message: "\(JSONWriter.string(event.member.rawValue)) is not a known member; import members first")
                        }
                        sequence += 1
                        Self.add(event, sequence: sequence, memberKey: key, recordedAt: trail.recordedAt, to: &rows)
                        report.imported += 1
                    } catch let error as ConsentError {
                        // Only a bad line may be skipped; a store failure always aborts the import.
                        guard options.skipInvalid, case .invalidRecord = error else { throw error }
                        report.skipped += 1
                        options.onSkip(error)
                    }
                }
                try db.append(rows, into: "consent_events", columns: Self.ledgerColumns)
                if !refused && batch.start == trail.linker {
                    if let audit = batch.auditBulk { try trail.adopt(audit, end: batch.end, db) }
                } else {
                    // The parsing thread linked every line it read; once a line is refused for
                    // its member, the chain continues from here instead, for this batch and the rest.
                    for case .success(let (_, event, content)) in batch.outcomes where keys[event.member.rawValue] != nil {
                        trail.append(content)
                    }
                    try trail.flushIfFull(db)
                }
            }
            try trail.finish(db)
            return report
        }
    }

    private struct ChoiceBatch: Sendable {
        /// Per line, in order: the event and its audit entry, or why the line was refused.
        var outcomes: [Result<(line: Int, event: ConsentEvent, audit: AuditChain.Content), ConsentError>] = []
        /// The members the batch names, each once.
        var members: Set<String> = []
        /// Where the parsing thread's chain stood before this batch, and after it: it links
        /// every line it read, as if none will be refused for its member.
        var start: AuditLinker
        var end: AuditLinker
        /// Those entries, encoded for the driver's bulk path.
        var audit = RowBatch(columns: AuditLinker.columns.count)
        var auditBulk: Driver.Connection.BulkRows?
    }

    /// Starts parsing, digesting and linking `lines` on a second thread.
    private static func choiceBatches(_ lines: AnySequence<ImportLine<ConsentEvent>>, linker start: AuditLinker,
                                      recordedAtText: String) -> ReadAheadBatches<ChoiceBatch> {
        var linker = start
        return ReadAheadBatches(lines, batchSize: importBatchSize, makeBatch: { ChoiceBatch(start: linker, end: linker) }) { batch, line in
            batch.outcomes.append(line.record.map { event in
                batch.members.insert(event.member.rawValue)
                let content = StoredRecords.choiceAudit(event, recordedAt: recordedAtText)
                linker.link(content, into: &batch.audit)
                return (line.line, event, content)
            })
            batch.end = linker
        } complete: { batch in
            if !batch.audit.isEmpty { batch.auditBulk = Driver.Connection.bulkRows(batch.audit) }
            batch.audit = RowBatch(columns: AuditLinker.columns.count)
        }
    }

    /// Appends a choice to the ledger, durable when this returns; concurrent calls share one
    /// transaction (``GroupCommit``). With an idempotency key used before, by any instance,
    /// nothing is appended and the choice recorded then is returned, `replayed`.
    public func recordChoice(_ event: ConsentEvent, idempotencyKey: IdempotencyKey?, returningFacts: Bool) async throws -> RecordedChoice {
        try event.validate()
        return try await commits.record(ChoiceWrite(event: event, key: idempotencyKey, readFacts: returningFacts))
    }

    public func history(of member: MemberID) async throws -> [ConsentEvent] {
        try await driver.read { db in try Self.history(of: member, db) }
    }

    static func history(of member: MemberID, _ db: some SQLConnection) throws -> [ConsentEvent] {
        try db.query("""
            SELECT e.sequence, e.choice, e.channel, e.at, e.actor, e.recorded_at FROM consent_events e
            JOIN members m ON m.member_key = e.member_key WHERE m.id = \(member.rawValue) ORDER BY e.sequence
            """).map { try event($0, of: member) }
    }

    /// A ledger row (`sequence, choice, channel, at, actor, recorded_at`) as an event.
    static func event(_ row: SQLRow, of member: MemberID) throws -> ConsentEvent {
        let sequence = try row.int64(0)
        guard let choice = Choice(rawValue: try row.text(1)), let channel = Channel(rawValue: try row.text(2)) else {
            throw ConsentError.storeUnavailable("ledger entry \(sequence) is not readable")
        }
        return ConsentEvent(member: member, choice: choice, channel: channel, at: Timestamp.fromMicroseconds(try row.int64(3)),
                            actor: try row.text(4), sequence: sequence, recordedAt: Timestamp.fromMicroseconds(try row.int64(5)))
    }

    /// The ledger's last sequence number. Writers number the ledger themselves, after this, under
    /// the audit head's lock (``AuditTrail/begin(_:at:)``): one multi-row append per commit.
    static func lastSequence(_ db: some SQLConnection) throws -> Int64 {
        try ChoiceReads.lastSequence(db.query(ChoiceReads.lastSequenceStatement))
    }

    private static func add(_ event: ConsentEvent, sequence: Int64, memberKey: Int64, recordedAt: Int64, to rows: inout RowBatch) {
        rows.append(.integer(sequence), .integer(memberKey), .text(event.choice.rawValue), .text(event.channel.rawValue),
                    .integer(Timestamp.microseconds(event.at)), .text(event.actor), .integer(recordedAt))
    }

    /// Appends `writes` in order, set by set: one read of their idempotency keys, one of their
    /// members, one append each to the ledger, the audit log and the keys, whatever their
    /// number. Each write gets its own outcome: a refusal (an unknown member) fails that write
    /// alone; a key used before, or earlier in the same set, replays what it recorded.
    ///
    /// `found` is what ``ChoiceReads`` found for these writes when the caller read it already
    /// (with the audit head's read: one round trip on PostgreSQL); else it is read here.
    static func appendChoices(_ writes: [ChoiceWrite], _ db: some SQLConnection, trail: inout AuditTrail,
                              found: ChoiceReads.Found? = nil) throws -> [Result<RecordedChoice, ConsentError>] {
        let (references, keys, last) = try found ?? ChoiceReads(writes, now: trail.recordedAt).read(db)
        var sequence = last
        var ledger = RowBatch(columns: ledgerColumns.count, capacity: writes.count)
        var remembered = RowBatch(columns: idempotencyColumns.count)
        var recordedHere: [String: (event: ConsentEvent, request: String?)] = [:]
        var outcomes: [Result<RecordedChoice, ConsentError>] = []
        outcomes.reserveCapacity(writes.count)
        for write in writes {
            let event = write.event
            if let key = write.key {
                if let earlier = recordedHere[key.digest] {
                    outcomes.append(key.replays(earlier.request) ? .success(RecordedChoice(event: earlier.event, replayed: true)) : .failure(reused(.choice)))
                    continue
                }
                if let remembered = references[key.digest] {
                    outcomes.append(Result { RecordedChoice(event: try replayedChoice(try remembered.get(), of: event.member, db), replayed: true) }
                        .mapError { $0 as? ConsentError ?? .storeUnavailable("\($0)") })
                    continue
                }
            }
            guard let memberKey = keys[event.member.rawValue] else {
                outcomes.append(.failure(.unknownMember(event.member)))
                continue
            }
            sequence += 1
            add(event, sequence: sequence, memberKey: memberKey, recordedAt: trail.recordedAt, to: &ledger)
            trail.append(StoredRecords.choiceAudit(event, recordedAt: trail.recordedAtText))
            var stored = event
            stored.sequence = sequence
            stored.recordedAt = trail.recordedDate
            if let key = write.key {
                remembered.append(.text(key.digest), .text(IdempotencyKey.Write.choice.rawValue), .text(String(sequence)), .integer(trail.recordedAt),
                                  SQLValue(key.request))
                recordedHere[key.digest] = (stored, key.request)
            }
            outcomes.append(.success(RecordedChoice(event: stored, replayed: false, logSequence: trail.linker.sequence)))
        }
        if !ledger.isEmpty { try db.append(ledger, into: "consent_events", columns: ledgerColumns) }
        try trail.flush(db)
        if !remembered.isEmpty { try db.append(remembered, into: "idempotency_keys", columns: idempotencyColumns) }
        return outcomes
    }

    static var idempotencyColumns: [String] { ["key", "kind", "reference", "created_at", "request_sha256"] }

    /// The longest history a group commit reads for a choice that asks for its member's facts.
    static var factsAfterWriteLimit: Int { 1_000 }

    /// The longest history read inside a group commit's transaction (on a remote database),
    /// where every row read holds up the next batch; a longer one is read after the commit.
    static var factsInWriteLimit: Int { 50 }

    /// The ledger entry an idempotency key recorded.
    private static func replayedChoice(_ reference: String, of member: MemberID, _ db: some SQLConnection) throws -> ConsentEvent {
        guard let sequence = Int64(reference), let row = try db.query("""
            SELECT sequence, choice, channel, at, actor, recorded_at FROM consent_events WHERE sequence = \(sequence)
            """).first else {
            throw ConsentError.storeUnavailable("idempotency key names ledger entry \(reference), which is not readable")
        }
        return try event(row, of: member)
    }
}

/// A choice waiting for a group commit, with the key that makes it idempotent.
struct ChoiceWrite: Sendable {
    var event: ConsentEvent
    var key: IdempotencyKey?
    /// Read the member's facts after the write.
    var readFacts = false
}

/// What a set of choices reads before it is appended, in statements that go out together (one
/// round trip on PostgreSQL, ``SQLConnection/queries(_:)``): which of its idempotency keys were
/// used before, its members' keys, and the ledger's last sequence number. Run under the audit
/// head's lock, after its read.
struct ChoiceReads {
    let keys: RememberedKeys
    let members: [String]

    init(_ writes: [ChoiceWrite], now: Int64) {
        keys = RememberedKeys(keys: writes.compactMap { $0.key }, write: .choice, now: now)
        members = Array(Set(writes.map { $0.event.member.rawValue }))
    }

    var statements: [SQL] { keys.statements + [Self.memberKeysStatement(members), Self.lastSequenceStatement] }

    /// The keys' references, the members' keys and the ledger's end.
    typealias Found = (references: [String: Result<String, ConsentError>], memberKeys: [String: Int64], lastSequence: Int64)

    /// Sends ``statements`` and reads what they found.
    func read(_ db: some SQLConnection) throws -> Found { try values(db.queries(statements)) }

    /// What the rows of ``statements`` say.
    func values(_ rows: [[SQLRow]]) throws -> Found {
        guard rows.count == statements.count else { throw ConsentError.storeUnavailable("the store answered \(rows.count) reads, not \(statements.count)") }
        let references = try keys.found(rows[...])
        return (references, try Self.memberKeys(rows[rows.count - 2]), try Self.lastSequence(rows[rows.count - 1]))
    }

    static func memberKeysStatement(_ ids: [String]) -> SQL { "SELECT id, member_key FROM members WHERE id IN \(texts: ids)" }

    static func memberKeys(_ rows: [SQLRow], into keys: [String: Int64] = [:]) throws -> [String: Int64] {
        var keys = keys
        for row in rows { keys[try row.text(0)] = try row.int64(1) }
        return keys
    }

    static let lastSequenceStatement: SQL = "SELECT max(sequence) FROM consent_events"

    static func lastSequence(_ rows: [SQLRow]) throws -> Int64 { try rows.first?.optionalInt64(0) ?? 0 }
}
