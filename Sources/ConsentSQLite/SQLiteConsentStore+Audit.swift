import ConsentCore
import ConsentFormats
import Foundation
import GRDB

extension SQLiteConsentStore {
    public func auditEntries(from: Date?, to: Date?, _ body: (AuditEntry) throws -> Void) async throws {
        try read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT sequence, recorded_at, actor, action, subject, details, previous_hash, hash FROM audit_log
                WHERE (?1 IS NULL OR recorded_at >= ?1) AND (?2 IS NULL OR recorded_at <= ?2) ORDER BY sequence
                """, arguments: [from.map(Timestamp.microseconds), to.map(Timestamp.microseconds)])
            while let row = try rows.next() {
                let (entry, problem) = Self.auditEntry(row)
                if let problem { throw ConsentError.auditChainBroken(sequence: row[0], message: problem) }
                try body(entry)
            }
        }
    }

    public func verifyAuditChain() async throws -> AuditVerification {
        try read { db in
            var previousHash = AuditChain.genesisHash
            var previousSequence: Int64 = 0
            let rows = try Row.fetchCursor(db, sql: """
                SELECT sequence, recorded_at, actor, action, subject, details, previous_hash, hash FROM audit_log ORDER BY sequence
                """)
            while let row = try rows.next() {
                let (entry, unreadable) = Self.auditEntry(row)
                if let problem = unreadable ?? AuditChain.problem(with: entry, previousHash: previousHash,
                                                                  previousSequence: previousSequence) {
                    throw ConsentError.auditChainBroken(sequence: entry.sequence, message: problem)
                }
                previousHash = entry.hash
                previousSequence = entry.sequence
            }
            let head = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit_head WHERE singleton = 1")
            let headSequence: Int64 = head?[0] ?? 0
            let headHash: String = head?[1] ?? AuditChain.genesisHash
            if headSequence != previousSequence || headHash != previousHash {
                throw ConsentError.auditChainBroken(
                    sequence: previousSequence + 1,
                    message: "the log ends at entry \(previousSequence) but the recorded head is entry \(headSequence): entries were cut off the end")
            }
            return AuditVerification(entries: previousSequence, headHash: previousHash)
        }
    }

    /// The entry, and what is unreadable about it if anything.
    private static func auditEntry(_ row: Row) -> (AuditEntry, String?) {
        let actionText: String = row[3]
        let detailsText: String = row[5]
        let action = AuditAction(rawValue: actionText)
        let details = AuditChain.details(fromJSON: detailsText)
        let entry = AuditEntry(sequence: row[0], recordedAt: Timestamp.fromMicroseconds(row[1]), actor: row[2],
                               action: action ?? .policyApplied, subject: row[4], details: details ?? [:],
                               previousHash: row[6], hash: row[7])
        if action == nil { return (entry, "unknown action \(actionText): the entry was altered") }
        if details == nil { return (entry, "its details are not readable: the entry was altered") }
        return (entry, nil)
    }
}
