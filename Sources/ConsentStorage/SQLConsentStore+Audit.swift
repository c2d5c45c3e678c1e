import ConsentCore
import ConsentFormats
import Foundation

extension SQLConsentStore {
    /// Entries read per statement: the log is paged by sequence, so memory stays bounded however long it is.
    static var auditPage: Int { 20_000 }

    /// Audit entries recorded in `[from, to]`, in chain order, from one snapshot.
    public func auditEntries(from: Date?, to: Date?, _ body: (AuditEntry) throws -> Void) async throws {
        try await streamAudit(from: from.map(Timestamp.microseconds), to: to.map(Timestamp.microseconds), after: .min, limit: nil, body)
    }

    public func auditEntries(after: Int64, limit: Int?, _ body: (AuditEntry) throws -> Void) async throws {
        try await streamAudit(from: nil, to: nil, after: after, limit: limit, body)
    }

    private func streamAudit(from: Int64?, to: Int64?, after: Int64, limit: Int?, _ body: (AuditEntry) throws -> Void) async throws {
        try await streamRead({ db, emit in try Self.forEachAuditEntry(db, from: from, to: to, after: after, limit: limit, emit) }, consume: { stored in
            guard let entry = stored.entry else {
                throw ConsentError.auditChainBroken(sequence: stored.sequence, message: "the entry is not readable: it was altered")
            }
            try body(entry)
        })
    }

    public func factChanges(after sequence: Int64?, limit: Int) async throws -> FactChanges {
        try await driver.read { db in
            let head = try db.query("SELECT sequence FROM audit_head WHERE singleton = 1").first?.int64(0) ?? 0
            // A sequence past the end names another log (a store restored from a backup).
            guard let after = sequence, after <= head else { return FactChanges(head: head, complete: false, changes: []) }
            let rows = try db.query("""
                SELECT a.sequence, a.action, a.subject, m.id FROM audit_log a
                LEFT JOIN objections o ON o.id = a.subject LEFT JOIN members m ON m.member_key = o.member_key
                WHERE a.sequence > \(after) AND a.sequence <= \(head) ORDER BY a.sequence LIMIT \(Int64(limit))
                """)
            var changes: [FactChange] = []
            for row in rows {
                let entry = try row.int64(0)
                let member: String?
                switch AuditAction(rawValue: try row.text(1))?.changedFacts {
                case .subjectMember?: member = try row.text(2)
                case .objectionMember?: member = try row.optionalText(3)
                case .noMember?: member = nil
                case nil: return FactChanges(head: head, complete: false, changes: changes)
                }
                guard let member else { continue }
                guard let id = MemberID(member) else { return FactChanges(head: head, complete: false, changes: changes) }
                changes.append(FactChange(sequence: entry, member: id))
            }
            let last = try rows.last?.int64(0) ?? after
            return FactChanges(head: head, complete: last == head, changes: changes)
        }
    }

    /// Recomputes the whole chain from one snapshot; throws
    /// ``ConsentError/auditChainBroken(sequence:message:)`` at the first bad entry, and when the
    /// recorded head is not the last entry (entries were cut off the end). Then checks every
    /// stored fact against its entry (``checkFacts(_:)``); throws ``ConsentError/factAltered(_:)``
    /// naming the first that does not match.
    public func verifyAuditChain() async throws -> AuditVerification {
        try await driver.read { db in
            var previousHash = AuditChain.genesisHash
            var previousSequence: Int64 = 0
            try Self.forEachAuditEntry(db, from: nil, to: nil) { stored in
                if let problem = AuditChain.problem(with: stored, previousHash: previousHash, previousSequence: previousSequence) {
                    throw ConsentError.auditChainBroken(sequence: stored.sequence, message: problem)
                }
                previousHash = stored.hash
                previousSequence = stored.sequence
            }
            let head = try db.query("SELECT sequence, hash FROM audit_head WHERE singleton = 1").first
            let headSequence = try head?.int64(0) ?? 0
            let headHash = try head?.text(1) ?? AuditChain.genesisHash
            if headSequence != previousSequence || headHash != previousHash {
                throw ConsentError.auditChainBroken(
                    sequence: previousSequence + 1,
                    message: "the log ends at entry \(previousSequence) but the recorded head is entry \(headSequence): entries were cut off the end")
            }
            try Self.checkFacts(db)
            return AuditVerification(entries: previousSequence, headHash: previousHash)
        }
    }

    public func logSequence(ofChoice sequence: Int64) async throws -> Int64? {
        try await driver.read { db in
            guard !(try db.query("SELECT 1 FROM consent_events WHERE sequence = \(sequence)").isEmpty) else { return nil }
            let position = try db.query("SELECT count(*) FROM consent_events WHERE sequence <= \(sequence)").first?.int64(0) ?? 0
            return try db.query("""
                SELECT sequence FROM audit_log WHERE action = \(AuditAction.choiceRecorded.rawValue) ORDER BY sequence LIMIT 1 OFFSET \(position - 1)
                """).first?.int64(0)
        }
    }

    public func logSequences(ofObjection id: ObjectionID) async throws -> [Int64] {
        let actions = [AuditAction.objectionFiled, .objectionExtended, .objectionDecided, .objectionCompleted].map(\.rawValue)
        return try await driver.read { db in
            try db.query("SELECT sequence FROM audit_log WHERE subject = \(id.rawValue) AND action IN \(texts: actions) ORDER BY sequence")
                .map { try $0.int64(0) }
        }
    }

    /// The stored entries after `start` (and recorded in `[from, to]`), in order, paged. Each
    /// entry's previous hash is the hash of the row before it: carried from the entry just read,
    /// or read once where the rows start after the first or skip some (nil when that row is
    /// missing, which verification reports as a gap).
    private static func forEachAuditEntry(_ db: some SQLConnection, from: Int64?, to: Int64?, after start: Int64 = .min, limit: Int? = nil,
                                          _ body: (AuditChain.StoredEntry) throws -> Void) throws {
        var after = start
        var remaining = limit ?? Int.max
        var last: (sequence: Int64, hash: String)?
        while remaining > 0 {
            let page = min(auditPage, remaining)
            var sql: SQL = """
                SELECT sequence, recorded_at, actor, action, subject, details, hash FROM audit_log WHERE sequence > \(after)
                """
            if let from { sql = sql + " AND recorded_at >= \(from)" }
            if let to { sql = sql + " AND recorded_at <= \(to)" }
            let rows = try db.query(sql + " ORDER BY sequence LIMIT \(page)")
            remaining -= rows.count
            for row in rows {
                let sequence = try row.int64(0)
                let previousHash: String?
                if let last, last.sequence == sequence - 1 {
                    previousHash = last.hash
                } else if sequence == 1 {
                    previousHash = AuditChain.genesisHash
                } else {
                    previousHash = try db.query("SELECT hash FROM audit_log WHERE sequence = \(sequence - 1)").first?.text(0)
                }
                let stored = AuditChain.StoredEntry(sequence: sequence, recordedAt: Timestamp.fromMicroseconds(try row.int64(1)),
                                                    actor: try row.text(2), action: try row.text(3), subject: try row.text(4),
                                                    detailsJSON: try row.text(5), previousHash: previousHash ?? "", hash: try row.text(6))
                try body(stored)
                after = sequence
                last = (sequence, stored.hash)
            }
            if rows.count < page { return }
        }
    }
}
