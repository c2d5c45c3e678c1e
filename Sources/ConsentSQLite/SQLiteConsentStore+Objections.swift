import ConsentCore
import ConsentFormats
import Foundation
import GRDB

extension SQLiteConsentStore {
    public func fileObjection(_ objection: Objection, actor: String, idempotencyKey: IdempotencyKey?) async throws -> (objection: Objection, replayed: Bool) {
        try write { db in
            if let key = idempotencyKey, let reference = try Self.idempotentReference(key, kind: "objection", db: db) {
                guard let filed = try Self.objection(ObjectionID(rawValue: reference), db: db) else {
                    throw ConsentError.storeUnavailable("idempotency key names objection \(reference), which is not readable")
                }
                return (filed, true)
            }
            var audit = try AuditAppender(db, now: now())
            try insert(objection, actor: actor, db: db, audit: &audit)
            try audit.finish()
            if let key = idempotencyKey {
                try Self.rememberIdempotency(key, kind: "objection", reference: objection.id.rawValue, at: now(), db: db)
            }
            return (objection, false)
        }
    }

    /// Inserts a new objection and its first events, in the caller's transaction.
    func insert(_ objection: Objection, actor: String, db: Database, audit: inout AuditAppender) throws {
        var key: Int64?
        if let member = objection.member {
            guard let found = try Int64.fetchOne(db, sql: "SELECT member_key FROM members WHERE id = ?", arguments: [member.rawValue])
            else { throw ConsentError.unknownMember(member) }
            key = found
        }
        try db.execute(sql: "INSERT INTO objections (id, member_key, received_at, contact_email, identifiers) VALUES (?, ?, ?, ?, ?)",
                       arguments: [objection.id.rawValue, key, Timestamp.microseconds(objection.receivedAt), objection.contactEmail,
                                   objection.member == nil ? JSONWriter.array(objection.identifiers.map(JSONWriter.string)) : nil])
        try appendEvents(objection.timeline, from: 0, of: objection, actor: actor, db: db, audit: &audit)
    }

    public func updateObjection(_ id: ObjectionID, actor: String,
                                _ transition: @Sendable (Objection) throws -> Objection) async throws -> Objection {
        try write { db in
            guard let current = try Self.objection(id, db: db) else { throw ConsentError.unknownObjection(id) }
            let updated = try transition(current)
            guard updated.id == current.id, updated.timeline.starts(with: current.timeline) else {
                throw ConsentError.illegalTransition(objection: id, message: "a transition may only append to the timeline")
            }
            var audit = try AuditAppender(db, now: now())
            try appendEvents(updated.timeline, from: current.timeline.count, of: updated, actor: actor, db: db, audit: &audit)
            try audit.finish()
            return updated
        }
    }

    public func objection(_ id: ObjectionID) async throws -> Objection? {
        try read { db in try Self.objection(id, db: db) }
    }

    public func objections(status: ObjectionStatus?) async throws -> [Objection] {
        try read { db in
            let all = try Self.objections(db: db, asOf: nil, includingNonMembers: true).map(\.objection)
            return all.filter { status == nil || $0.status == status }
        }
    }

    public func objections(of member: MemberID) async throws -> [Objection] {
        try read { db in
            let ids = try String.fetchAll(db, sql: """
                SELECT o.id FROM objections o JOIN members m ON m.member_key = o.member_key
                WHERE m.id = ? ORDER BY o.received_at, o.id
                """, arguments: [member.rawValue])
            return try ids.compactMap { try Self.objection(ObjectionID(rawValue: $0), db: db) }
        }
    }

    func appendEvents(_ timeline: [ObjectionEvent], from start: Int, of objection: Objection, actor: String,
                              db: Database, audit: inout AuditAppender) throws {
        let recordedAt = Timestamp.microseconds(now())
        for position in start..<timeline.count {
            let event = timeline[position]
            let row = StoredRecords.objectionEventRow(event, of: objection)
            try db.execute(sql: """
                INSERT INTO objection_events (objection_id, position, kind, at, days, due, outcome, reason, actor, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [objection.id.rawValue, position, row.kind, Timestamp.microseconds(event.at), row.days,
                                 row.due, row.outcome, row.reason, actor, recordedAt])
            try audit.append(actor: actor, action: row.action, subject: objection.id.rawValue, details: row.details)
            try queue(event, of: objection, recordedAt: recordedAt, db: db)
        }
    }

    /// Writes the outbox event telling of `event`, in the caller's transaction: the change and
    /// its notification are committed together or not at all.
    private func queue(_ event: ObjectionEvent, of objection: Objection, recordedAt: Int64, db: Database) throws {
        let id = OutboxEvent.newID()
        let type = OutboxEvent.type(of: event)
        try Self.enqueue(id: id, type: type, subject: objection.id.rawValue,
                         payload: OutboxPayloads.objection(event, of: objection, eventID: id, type: type), recordedAt: recordedAt, db: db)
    }

    static func enqueue(id: String, type: String, subject: String, payload: String, recordedAt: Int64, db: Database) throws {
        try db.execute(sql: "INSERT INTO outbox (id, type, subject, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [id, type, subject, payload, recordedAt])
    }

    static func objection(_ id: ObjectionID, db: Database) throws -> Objection? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT m.id, o.contact_email, o.identifiers FROM objections o LEFT JOIN members m ON m.member_key = o.member_key
            WHERE o.id = ?
            """, arguments: [id.rawValue])
        else { return nil }
        let rows = try Row.fetchAll(db, sql: "SELECT kind, at, days, due, outcome, reason FROM objection_events WHERE objection_id = ? ORDER BY position",
                                    arguments: [id.rawValue])
        return try replay(id, requester: row, offset: 0, timeline: try rows.map { try event($0, offset: 0) })
    }

    /// Every objection with the events at or before `asOf` (all when nil), with its member's key:
    /// members' objections only, unless `includingNonMembers` (their key is then nil).
    static func objections(db: Database, asOf: Int64?, includingNonMembers: Bool = false) throws -> [(memberKey: Int64?, objection: Objection)] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT o.id, o.member_key, m.id, o.contact_email, o.identifiers, e.kind, e.at, e.days, e.due, e.outcome, e.reason
            FROM objections o LEFT JOIN members m ON m.member_key = o.member_key
            JOIN objection_events e ON e.objection_id = o.id
            WHERE (?1 IS NULL OR e.at <= ?1) AND (?2 OR o.member_key IS NOT NULL)
            ORDER BY o.received_at, o.id, e.position
            """, arguments: [asOf, includingNonMembers])
        var result: [(Int64?, Objection)] = []
        var index = 0
        while index < rows.count {
            let id = ObjectionID(rawValue: rows[index][0])
            let key: Int64? = rows[index][1]
            let first = index
            var timeline: [ObjectionEvent] = []
            while index < rows.count, rows[index][0] == id.rawValue {
                timeline.append(try event(rows[index], offset: 5))
                index += 1
            }
            result.append((key, try replay(id, requester: rows[first], offset: 2, timeline: timeline)))
        }
        return result
    }

    /// Rebuilds an objection from `timeline` and the member id, contact email and identifiers
    /// read at `offset` in `row`.
    private static func replay(_ id: ObjectionID, requester row: Row, offset: Int, timeline: [ObjectionEvent]) throws -> Objection {
        let memberText: String? = row[offset]
        let member = try memberText.map { text in
            guard let member = MemberID(text) else { throw ConsentError.storeUnavailable("objection \(id) names an unreadable member") }
            return member
        }
        let identifiersJSON: String? = row[offset + 2]
        var identifiers: [String] = []
        if let identifiersJSON, case .array(let values)? = try? JSONParser.parse(identifiersJSON) {
            identifiers = values.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }
        return try Objection.replay(id: id, member: member, contactEmail: row[offset + 1], identifiers: identifiers, timeline: timeline)
    }

    private static func event(_ row: Row, offset: Int) throws -> ObjectionEvent {
        try StoredRecords.objectionEvent(kind: row[offset], at: row[offset + 1], days: row[offset + 2], due: row[offset + 3],
                                         outcome: row[offset + 4], reason: row[offset + 5])
    }
}
