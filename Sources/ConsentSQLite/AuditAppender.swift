import ConsentCore
import ConsentFormats
import Foundation
import GRDB

/// Extends the audit chain inside the current write transaction. Because the transaction is
/// IMMEDIATE, no other writer can slip an entry in between reading the head and appending.
struct AuditAppender {
    private let db: Database
    private let insert: Statement
    private let recordedAt: Date
    private var sequence: Int64
    private var hash: String
    private var appended = false

    init(_ db: Database, now: Date) throws {
        self.db = db
        recordedAt = now
        insert = try db.cachedStatement(sql: """
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
        let entry = AuditChain.entry(sequence: sequence + 1, recordedAt: recordedAt, actor: actor, action: action,
                                     subject: subject, details: details, previousHash: hash)
        try insert.execute(arguments: [
            entry.sequence, Timestamp.microseconds(entry.recordedAt), entry.actor, entry.action.rawValue,
            entry.subject, AuditChain.detailsJSON(entry.details), entry.previousHash, entry.hash,
        ])
        sequence = entry.sequence
        hash = entry.hash
        appended = true
    }

    /// Records the new head; call once, after the last append of the transaction.
    func finish() throws {
        guard appended else { return }
        try db.execute(sql: "INSERT OR REPLACE INTO audit_head (singleton, sequence, hash) VALUES (1, ?, ?)",
                       arguments: [sequence, hash])
    }
}
