import ConsentCore
import ConsentFormats
import Foundation
import GRDB

/// Extends the audit chain inside the current write transaction. Because the transaction is
/// IMMEDIATE, no other writer can slip an entry in between reading the head and appending.
struct AuditAppender {
    private let db: Database
    private let insert: FastInsert
    private let recordedAt: Int64
    /// The recorded-at text of every entry this appender writes (one transaction, one instant).
    let recordedAtText: String
    private var sequence: Int64
    private var hash: String
    private var appended = false

    init(_ db: Database, now: Date) throws {
        self.db = db
        recordedAt = Timestamp.microseconds(now)
        recordedAtText = Timestamp.format(Timestamp.fromMicroseconds(recordedAt))
        insert = try FastInsert(db, sql: """
            INSERT INTO audit_log (sequence, recorded_at, actor, action, subject, details, previous_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        if let row = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1") {
            sequence = row[0]
            hash = row[1]
        } else {
            sequence = 0
            hash = AuditChain.genesisHash
        }
    }

    mutating func append(actor: String, action: AuditAction, subject: String, details: [String: String]) throws {
        try append(actor: actor, action: action, subject: subject, detailsJSON: AuditChain.detailsJSON(details))
    }

    /// Appends an entry whose details are already canonical JSON (keys sorted, string values).
    mutating func append(actor: String, action: AuditAction, subject: String, detailsJSON: String) throws {
        try append(AuditChain.Content(recordedAt: recordedAtText, actor: actor, action: action, subject: subject,
                                      detailsJSON: detailsJSON))
    }

    /// Appends content digested elsewhere (at this appender's `recordedAtText`): only the link is computed here.
    mutating func append(_ content: AuditChain.Content) throws {
        let next = sequence + 1
        let sealed = AuditChain.link(previousHash: hash, sequence: next, contentDigest: content.digest)
        try insert.run(.integer(next), .integer(recordedAt), .text(content.actor), .text(content.action.rawValue),
                       .text(content.subject), .text(content.detailsJSON), .text(hash), .text(sealed))
        sequence = next
        hash = sealed
        appended = true
    }

    /// Records the new head; call once, after the last append of the transaction.
    func finish() throws {
        guard appended else { return }
        try db.execute(sql: "INSERT OR REPLACE INTO audit_head (singleton, sequence, hash) VALUES (1, ?, ?)",
                       arguments: [sequence, hash])
    }
}
