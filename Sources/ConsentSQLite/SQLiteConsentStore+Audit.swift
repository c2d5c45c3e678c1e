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
                let stored = Self.storedEntry(row)
                guard let entry = stored.entry else {
                    throw ConsentError.auditChainBroken(sequence: stored.sequence, message: "the entry is not readable: it was altered")
                }
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
                let stored = Self.storedEntry(row)
                if let problem = AuditChain.problem(with: stored, previousHash: previousHash, previousSequence: previousSequence) {
                    throw ConsentError.auditChainBroken(sequence: stored.sequence, message: problem)
                }
                previousHash = stored.hash
                previousSequence = stored.sequence
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

    private static func storedEntry(_ row: Row) -> AuditChain.StoredEntry {
        AuditChain.StoredEntry(sequence: row[0], recordedAt: Timestamp.fromMicroseconds(row[1]), actor: row[2], action: row[3],
                               subject: row[4], detailsJSON: row[5], previousHash: row[6], hash: row[7])
    }
}
