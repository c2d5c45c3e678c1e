import ConsentCore
import ConsentFormats
import Foundation
import PostgresNIO

extension PostgresConsentStore {
    public func fileObjection(_ objection: Objection, actor: String, idempotencyKey: IdempotencyKey?) async throws -> (objection: Objection, replayed: Bool) {
        let now = now()
        return try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            if let key = idempotencyKey, let reference = try await self.idempotentReference(key, kind: "objection", connection: connection) {
                guard let filed = try await self.objection(ObjectionID(rawValue: reference), connection: connection) else {
                    throw ConsentError.storeUnavailable("idempotency key names objection \(reference), which is not readable")
                }
                return (filed, true)
            }
            try await self.insert(objection, actor: actor, connection: connection, audit: &audit)
            try await audit.finish()
            if let key = idempotencyKey {
                try await self.rememberIdempotency(key, kind: "objection", reference: objection.id.rawValue, at: audit.recordedAt, connection: connection)
            }
            return (objection, false)
        }
    }

    /// Inserts a new objection and its first events, in the caller's transaction.
    func insert(_ objection: Objection, actor: String, connection: PostgresConnection, audit: inout PostgresAudit) async throws {
        var key: Int64?
        if let member = objection.member {
            for try await found in try await connection.query("SELECT member_key FROM members WHERE id = \(member.rawValue)",
                                                              logger: logger).decode(Int64.self) { key = found }
            guard key != nil else { throw ConsentError.unknownMember(member) }
        }
        let identifiers = objection.member == nil ? JSONWriter.array(objection.identifiers.map(JSONWriter.string)) : nil
        try await connection.query("""
            INSERT INTO objections (id, member_key, received_at, contact_email, identifiers)
            VALUES (\(objection.id.rawValue), \(key), \(Timestamp.microseconds(objection.receivedAt)), \(objection.contactEmail), \(identifiers))
            """, logger: logger)
        try await appendEvents(objection.timeline, from: 0, of: objection, actor: actor, connection: connection, audit: &audit)
    }

    public func updateObjection(_ id: ObjectionID, actor: String,
                                _ transition: @Sendable (Objection) throws -> Objection) async throws -> Objection {
        let now = now()
        // The transition runs inside the transaction, after the head lock: no other writer can
        // change the objection between reading and appending.
        return try await withoutActuallyEscaping(transition) { transition in
            let box = TransitionBox(transition: transition)
            return try await write { connection in
                var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
                guard let current = try await self.objection(id, connection: connection) else { throw ConsentError.unknownObjection(id) }
                let updated = try box.transition(current)
                guard updated.id == current.id, updated.timeline.starts(with: current.timeline) else {
                    throw ConsentError.illegalTransition(objection: id, message: "a transition may only append to the timeline")
                }
                try await self.appendEvents(updated.timeline, from: current.timeline.count, of: updated, actor: actor,
                                            connection: connection, audit: &audit)
                try await audit.finish()
                return updated
            }
        }
    }

    public func objection(_ id: ObjectionID) async throws -> Objection? {
        try await read { connection in try await self.objection(id, connection: connection) }
    }

    public func objections(status: ObjectionStatus?) async throws -> [Objection] {
        try await read { connection in
            try await self.objections(connection: connection, asOf: nil, includingNonMembers: true).map(\.objection)
                .filter { status == nil || $0.status == status }
        }
    }

    public func objections(of member: MemberID) async throws -> [Objection] {
        try await read { connection in
            try await self.objections(connection: connection, asOf: nil, member: member).map(\.objection)
        }
    }

    func appendEvents(_ timeline: [ObjectionEvent], from start: Int, of objection: Objection, actor: String,
                      connection: PostgresConnection, audit: inout PostgresAudit) async throws {
        let recordedAt = audit.recordedAt
        for position in start..<timeline.count {
            let event = timeline[position]
            let row = StoredRecords.objectionEventRow(event, of: objection)
            try await connection.query("""
                INSERT INTO objection_events (objection_id, position, kind, at, days, due, outcome, reason, actor, recorded_at)
                VALUES (\(objection.id.rawValue), \(position), \(row.kind), \(Timestamp.microseconds(event.at)), \(row.days),
                        \(row.due), \(row.outcome), \(row.reason), \(actor), \(recordedAt))
                """, logger: logger)
            try await audit.append(actor: actor, action: row.action, subject: objection.id.rawValue, details: row.details)
            let type = OutboxEvent.type(of: event)
            let eventID = OutboxEvent.newID()
            try await enqueue(id: eventID, type: type, subject: objection.id.rawValue,
                              payload: OutboxPayloads.objection(event, of: objection, eventID: eventID, type: type),
                              recordedAt: recordedAt, connection: connection)
        }
    }

    func enqueue(id: String, type: String, subject: String, payload: String, recordedAt: Int64, connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO outbox (id, type, subject, payload, created_at) VALUES (\(id), \(type), \(subject), \(payload), \(recordedAt))
            """, logger: logger)
    }

    func objection(_ id: ObjectionID, connection: PostgresConnection) async throws -> Objection? {
        try await objections(connection: connection, asOf: nil, includingNonMembers: true, only: id).first?.objection
    }

    /// Objections with their events at or before `asOf` (all when nil) and their member's key:
    /// members' only unless `includingNonMembers`; all of one member's, or one objection.
    func objections(connection: PostgresConnection, asOf: Int64?, includingNonMembers: Bool = false, member: MemberID? = nil,
                    only: ObjectionID? = nil) async throws -> [(memberKey: Int64?, objection: Objection)] {
        let rows = try await connection.query("""
            SELECT o.id, o.member_key, m.id, o.contact_email, o.identifiers, e.kind, e.at, e.days, e.due, e.outcome, e.reason
            FROM objections o LEFT JOIN members m ON m.member_key = o.member_key
            JOIN objection_events e ON e.objection_id = o.id
            WHERE (\(asOf)::bigint IS NULL OR e.at <= \(asOf)) AND (\(includingNonMembers || only != nil) OR o.member_key IS NOT NULL)
              AND (\(member?.rawValue)::text IS NULL OR m.id = \(member?.rawValue)) AND (\(only?.rawValue)::text IS NULL OR o.id = \(only?.rawValue))
            ORDER BY o.received_at, o.id, e.position
            """, logger: logger)
        var result: [(Int64?, Objection)] = []
        var current: (id: String, key: Int64?, member: String?, email: String?, identifiers: String?, timeline: [ObjectionEvent])?
        func close() throws {
            guard let current else { return }
            result.append((current.key, try Self.replay(current.id, member: current.member, email: current.email,
                                                        identifiers: current.identifiers, timeline: current.timeline)))
        }
        for try await row in rows.decode((String, Int64?, String?, String?, String?, String, Int64, Int?, Int64?, String?, String?).self) {
            if current?.id != row.0 {
                try close()
                current = (row.0, row.1, row.2, row.3, row.4, [])
            }
            current?.timeline.append(try StoredRecords.objectionEvent(kind: row.5, at: row.6, days: row.7, due: row.8, outcome: row.9, reason: row.10))
        }
        try close()
        return result
    }

    static func replay(_ id: String, member: String?, email: String?, identifiers: String?, timeline: [ObjectionEvent]) throws -> Objection {
        let objectionID = ObjectionID(rawValue: id)
        let memberID = try member.map { text in
            guard let member = MemberID(text) else { throw ConsentError.storeUnavailable("objection \(id) names an unreadable member") }
            return member
        }
        var list: [String] = []
        if let identifiers, case .array(let values)? = try? JSONParser.parse(identifiers) {
            list = values.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }
        return try Objection.replay(id: objectionID, member: memberID, contactEmail: email, identifiers: list, timeline: timeline)
    }

    // MARK: Non-members' requests

    public func requestObjection(_ request: ObjectionRequest, code: String) async throws {
        let now = now()
        try await write { connection in
            try await connection.query("""
                INSERT INTO objection_requests (id, email, identifiers, reason, code_sha256, created_at)
                VALUES (\(request.id), \(request.email), \(JSONWriter.array(request.identifiers.map(JSONWriter.string))), \(request.reason),
                        \(VerificationCodes.hash(code, request: request.id)), \(Timestamp.microseconds(request.createdAt)))
                """, logger: self.logger)
            let eventID = OutboxEvent.newID()
            try await self.enqueue(id: eventID, type: OutboxEvent.verificationType, subject: request.id,
                                   payload: OutboxPayloads.verification(request, code: code, eventID: eventID),
                                   recordedAt: Timestamp.microseconds(now), connection: connection)
        }
    }

    public func objectionRequest(_ id: String) async throws -> ObjectionRequest? {
        try await read { connection in try await self.objectionRequest(id, connection: connection)?.request }
    }

    public func objectionRequests(email: String, since: Date) async throws -> Int {
        try await read { connection in
            for try await count in try await connection.query("""
                SELECT count(*) FROM objection_requests WHERE lower(email) = lower(\(email)) AND created_at >= \(Timestamp.microseconds(since))
                """, logger: self.logger).decode(Int.self) { return count }
            return 0
        }
    }

    public func verifyObjectionRequest(_ id: String, code: String, at instant: Date, terms: ObjectionTerms,
                                       actor: String) async throws -> Objection {
        let now = now()
        // A wrong code must count durably, so the outcome is decided in the transaction and
        // thrown after it commits.
        let outcome: Result<Objection, ConsentError> = try await write { connection in
            var audit = try await PostgresAudit.begin(connection, now: now, logger: self.logger)
            guard let (request, hash) = try await self.objectionRequest(id, connection: connection) else {
                return .failure(.unknownObjectionRequest(id))
            }
            if let refusal = request.refusal(at: instant) { return .failure(refusal) }
            guard Digest.constantTimeEqual(hash, VerificationCodes.hash(code, request: id)) else {
                try await connection.query("UPDATE objection_requests SET attempts = attempts + 1 WHERE id = \(id)", logger: self.logger)
                return .failure(VerificationCodes.wrongCode(attemptsBefore: request.attempts))
            }
            let objection = Objection.fileForNonMember(id: .random(), email: request.email, identifiers: request.identifiers,
                                                       at: instant, reason: request.reason, terms: terms)
            try await self.insert(objection, actor: actor, connection: connection, audit: &audit)
            try await connection.query("UPDATE objection_requests SET objection_id = \(objection.id.rawValue) WHERE id = \(id)", logger: self.logger)
            try await audit.finish()
            return .success(objection)
        }
        return try outcome.get()
    }

    private func objectionRequest(_ id: String, connection: PostgresConnection) async throws -> (request: ObjectionRequest, codeHash: String)? {
        for try await row in try await connection.query("""
            SELECT id, email, identifiers, reason, code_sha256, created_at, attempts, objection_id FROM objection_requests WHERE id = \(id)
            """, logger: logger).decode((String, String, String, String?, String, Int64, Int, String?).self) {
            var identifiers: [String] = []
            if case .array(let values)? = try? JSONParser.parse(row.2) {
                identifiers = values.compactMap { if case .string(let text) = $0 { text } else { nil } }
            }
            let request = ObjectionRequest(id: row.0, email: row.1, identifiers: identifiers, reason: row.3,
                                           createdAt: Timestamp.fromMicroseconds(row.5), attempts: row.6,
                                           objection: row.7.map(ObjectionID.init(rawValue:)))
            return (request, row.4)
        }
        return nil
    }
}

/// Lets a non-escaping transition cross into the transaction's closure; it is only called there,
/// before the enclosing call returns.
private struct TransitionBox: @unchecked Sendable {
    let transition: (Objection) throws -> Objection
}
