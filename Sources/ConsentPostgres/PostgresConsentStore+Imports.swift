import ConsentCore
import ConsentFormats
import Foundation
import PostgresNIO

/// Bulk imports. Each is one transaction (all or nothing) that holds the audit head's lock, so
/// no other writer of any instance touches `members` or the ledger until it commits. Lines are
/// parsed, digested and encoded as COPY rows on a second thread (``ReadAheadBatches``) while
/// this task streams the previous batches to the server: memory stays bounded whatever the
/// file's size.
extension PostgresConsentStore {
    /// Lines per batch handed from the parsing thread to the connection.
    static let importBatchSize = 10_000

    private static let memberColumns = ["id", "birth_date", "country", "notified_at", "data", "updated_at"]
    private static let stagedMemberColumns = ["line", "id", "birth_date", "country", "notified_at", "data"]

    private struct MemberBatch: Sendable {
        /// Per line, in order: nil for an imported member, or why the line was refused.
        var outcomes: [ConsentError?] = []
        /// The imported members' audit entries, linked into the chain.
        var audit = CopyRows()
        /// Where those entries left the chain.
        var chain: AuditRows
        /// Rows for `members` itself: the first line of an id, into a table that was empty.
        var direct = CopyRows()
        /// Rows for the staging table: an id seen before in this file, or any line when the
        /// table already had members.
        var staged = CopyRows()
        /// Whether some id may appear twice among the staged rows.
        var repeatedIDs = false
    }

    /// A member's row: for the staging table with its line first, for `members` with
    /// `updated_at` last.
    private static func memberRow(_ member: Member, data: String, line: Int?, updatedAt: Int64?, to rows: inout CopyRows) {
        if let line { rows.integer(Int64(line)) }
        rows.text(member.id.rawValue)
        rows.text(member.birthDate?.description)
        rows.text(member.country.description)
        rows.integer(member.notifiedAt.map(Timestamp.microseconds))
        rows.text(data)
        if let updatedAt { rows.integer(updatedAt) }
        rows.endRow()
    }

    /// Starts parsing, digesting and encoding `lines` on a second thread.
    private static func memberBatches(_ lines: AnySequence<ImportLine<MemberRecord>>, direct: Bool, chain start: AuditRows,
                                      recordedAtText: String, sourceJSON: String, actor: String) -> ReadAheadBatches<MemberBatch> {
        // Hashes of the ids seen so far (8 bytes a member): equal ids have equal hashes, so
        // a hash seen for the first time is an id seen for the first time.
        var seen = Set<Int>()
        // The chain is linked here, in line order: the connection's task only sends bytes.
        var chain = start
        let recordedAt = start.recordedAt
        return ReadAheadBatches(lines, batchSize: importBatchSize, makeBatch: { MemberBatch(chain: chain) }) { batch, line in
            switch line.record {
            case .failure(let error):
                batch.outcomes.append(error)
            case .success(let record):
                let member = record.member
                let data = MemberRecords.dataJSON(record.data)
                let first = seen.insert(member.id.rawValue.hashValue).inserted
                if direct && first {
                    Self.memberRow(member, data: data, line: nil, updatedAt: recordedAt, to: &batch.direct)
                } else {
                    batch.repeatedIDs = batch.repeatedIDs || !first
                    Self.memberRow(member, data: data, line: line.line, updatedAt: nil, to: &batch.staged)
                }
                chain.append(StoredRecords.memberAudit(member, dataJSON: data, sourceJSON: sourceJSON, actor: actor, recordedAt: recordedAtText),
                             to: &batch.audit)
                batch.chain = chain
                batch.outcomes.append(nil)
            }
        }
    }

    public func importMembers<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<MemberRecord> {
        let now = now()
        let sourceJSON = JSONWriter.string(options.source)
        let lines = MovedLines(lines)
        return try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            // Into an empty table (a platform's first import) rows go straight to `members`;
            // otherwise they are staged and upserted at the end. The last line for an id wins.
            var empty = false
            for try await value in try await connection.query("SELECT NOT EXISTS (SELECT 1 FROM members)",
                                                               logger: self.logger).decode(Bool.self) { empty = value }
            try await connection.query("""
                CREATE TEMP TABLE import_members (line BIGINT, id TEXT, birth_date TEXT, country TEXT, notified_at BIGINT, data TEXT)
                ON COMMIT DROP
                """, logger: self.logger)
            let batches = Self.memberBatches(lines.base, direct: empty, chain: audit.chain, recordedAtText: audit.recordedAtText,
                                             sourceJSON: sourceJSON, actor: options.actor)
            defer { batches.cancel() }
            var report = ImportReport()
            var staged = false, repeated = false
            while let batch = await batches.next() {
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
                try await audit.append(linked: batch.audit, end: batch.chain)
                try await connection.copy(batch.direct, into: "members", columns: Self.memberColumns, logger: self.logger)
                try await connection.copy(batch.staged, into: "import_members", columns: Self.stagedMemberColumns, logger: self.logger)
                staged = staged || !batch.staged.isEmpty
                repeated = repeated || batch.repeatedIDs
            }
            if staged {
                let recordedAt = audit.recordedAt
                let rows = repeated
                    ? "SELECT DISTINCT ON (id) id, birth_date, country, notified_at, data FROM import_members ORDER BY id, line DESC"
                    : "SELECT id, birth_date, country, notified_at, data FROM import_members"
                try await connection.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO members (id, birth_date, country, notified_at, data, updated_at)
                    SELECT id, birth_date, country, notified_at, data, \(recordedAt) FROM (\(rows)) AS latest
                    ON CONFLICT (id) DO UPDATE SET birth_date = excluded.birth_date, country = excluded.country,
                        notified_at = excluded.notified_at, data = excluded.data, updated_at = excluded.updated_at
                    """), logger: self.logger)
            }
            try await audit.finish()
            return report
        }
    }

    private struct ChoiceBatch: Sendable {
        /// Per line, in order: the event and its audit entry, or why the line was refused.
        var outcomes: [Result<(line: Int, event: ConsentEvent, audit: AuditChain.Content), ConsentError>] = []
        /// The members the batch names, each once.
        var members: Set<String> = []
    }

    /// Starts parsing and digesting `lines` on a second thread.
    private static func choiceBatches(_ lines: AnySequence<ImportLine<ConsentEvent>>, recordedAtText: String) -> ReadAheadBatches<ChoiceBatch> {
        ReadAheadBatches(lines, batchSize: importBatchSize, makeBatch: { ChoiceBatch() }) { batch, line in
            batch.outcomes.append(line.record.map { event in
                batch.members.insert(event.member.rawValue)
                return (line.line, event, StoredRecords.choiceAudit(event, recordedAt: recordedAtText))
            })
        }
    }

    public func importChoices<Lines: Sequence>(_ lines: Lines, options: ImportOptions) async throws -> ImportReport
        where Lines.Element == ImportLine<ConsentEvent> {
        let now = now()
        let lines = MovedLines(lines)
        return try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            let recordedAt = audit.recordedAt
            let batches = Self.choiceBatches(lines.base, recordedAtText: audit.recordedAtText)
            defer { batches.cancel() }
            var report = ImportReport()
            while let batch = await batches.next() {
                // The batch's members' keys; a member missing here names its line.
                var keys: [String: Int64] = [:]
                keys.reserveCapacity(batch.members.count)
                for try await (id, key) in try await connection.query("""
                    SELECT id, member_key FROM members WHERE id = ANY(\(Array(batch.members))::text[])
                    """, logger: self.logger).decode((String, Int64).self) { keys[id] = key }
                var rows = CopyRows(capacity: batch.outcomes.count * 64)
                for outcome in batch.outcomes {
                    report.read += 1
                    if report.read % options.progressInterval == 0 { options.onProgress(report.read) }
                    do {
                        let (line, event, content) = try outcome.get()
                        guard let key = keys[event.member.rawValue] else {
                            throw ConsentError.invalidRecord(source: options.source, line: line, field: "member",
                                                             message: "\(JSONWriter.string(event.member.rawValue)) is not a known member; import members first")
                        }
                        rows.integer(key)
                        rows.text(event.choice.rawValue)
                        rows.text(event.channel.rawValue)
                        rows.integer(Timestamp.microseconds(event.at))
                        rows.text(event.actor)
                        rows.integer(recordedAt)
                        rows.endRow()
                        try await audit.append(content)
                        report.imported += 1
                    } catch let error as ConsentError {
                        // Only a bad line may be skipped; a store failure always aborts the import.
                        guard options.skipInvalid, case .invalidRecord = error else { throw error }
                        report.skipped += 1
                        options.onSkip(error)
                    }
                }
                // One COPY numbers the rows in order: ledger sequence follows the file.
                try await connection.copy(rows, into: "consent_events",
                                          columns: ["member_key", "choice", "channel", "at", "actor", "recorded_at"], logger: self.logger)
            }
            try await audit.finish()
            return report
        }
    }
}

/// An import's lines, moved into the transaction's closure (type-erased, so the closure
/// captures no generic type): the parsing thread iterates them once, and the import returns
/// only after it has stopped.
private struct MovedLines<Record: Sendable>: @unchecked Sendable {
    let base: AnySequence<ImportLine<Record>>

    init<Lines: Sequence>(_ lines: Lines) where Lines.Element == ImportLine<Record> { base = AnySequence(lines) }
}
