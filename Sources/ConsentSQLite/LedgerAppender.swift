import ConsentCore
import ConsentFormats
import Foundation
import GRDB

/// Appends choices to the ledger inside a write transaction, with their audit entries.
struct LedgerAppender {
    private let db: Database
    private let insert: FastInsert
    private var audit: AuditAppender
    private let recordedAt: Int64

    init(_ db: Database, now: Date) throws {
        self.db = db
        insert = try FastInsert(db, sql: """
            INSERT INTO consent_events (member_key, choice, channel, at, actor, recorded_at)
            SELECT member_key, ?, ?, ?, ?, ? FROM members WHERE id = ?
            """)
        audit = try AuditAppender(db, now: now)
        recordedAt = Timestamp.microseconds(now)
    }

    /// The recorded-at text of every entry this appender writes.
    var recordedAtText: String { audit.recordedAtText }

    /// Appends `event` and its audit entry (prepared elsewhere, or made here).
    @discardableResult
    mutating func append(_ event: ConsentEvent, audited content: AuditChain.Content? = nil) throws -> ConsentEvent {
        try insert.run(.text(event.choice.rawValue), .text(event.channel.rawValue), .integer(Timestamp.microseconds(event.at)),
                       .text(event.actor), .integer(recordedAt), .text(event.member.rawValue))
        guard db.changesCount == 1 else { throw ConsentError.unknownMember(event.member) }
        var stored = event
        stored.sequence = db.lastInsertedRowID
        stored.recordedAt = Timestamp.fromMicroseconds(recordedAt)
        try audit.append(content ?? StoredRecords.choiceAudit(event, recordedAt: recordedAtText))
        return stored
    }

    func finish() throws { try audit.finish() }
}
