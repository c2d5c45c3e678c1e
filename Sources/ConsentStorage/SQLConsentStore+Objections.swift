import ConsentCore
import ConsentFormats
import Foundation

extension SQLConsentStore {
    /// Files an objection, durable when this returns (a group commit). With an idempotency key
    /// used before, files nothing and returns the objection filed then, `replayed`.
    public func fileObjection(_ objection: Objection, actor: String, idempotencyKey: IdempotencyKey?,
                              limit: RateLimit?) async throws -> (objection: Objection, replayed: Bool) {
        try await commits.run { db, trail in
            if let key = idempotencyKey, let remembered = try Self.rememberedKeys([key], .objection, now: trail.recordedAt, db)[key.digest] {
                let reference = try remembered.get()
                guard let filed = try Self.objection(ObjectionID(rawValue: reference), db) else {
                    throw ConsentError.storeUnavailable("idempotency key names objection \(reference), which is not readable")
                }
                return (filed, true)
            }
            if let limit, let member = objection.member, let wait = try Self.wait(under: limit, at: objection.receivedAt, db, counting: { since in
                """
                SELECT count(*), min(o.received_at) FROM objections o JOIN members m ON m.member_key = o.member_key
                WHERE m.id = \(member.rawValue) AND o.received_at > \(since)
                """
            }) {
                throw ConsentError.rateLimited("""
                    you filed \(limit.count) objections in the last \(limit.window); \(limit.sentence) are accepted. \
                    Your pending objection already keeps your data out of training.
                    """, retryAfter: wait)
            }
            try Self.insert(objection, actor: actor, db, &trail)
            try Self.verifyContactEmail(of: objection, at: objection.receivedAt, db)
            if let key = idempotencyKey {
                try Self.remember(key, .objection, reference: objection.id.rawValue, db, trail)
            }
            return (objection, false)
        }
    }

    /// Applies `transition` to the stored objection and appends the events it added, in one
    /// transaction: no other writer changes the objection between the read and the append.
    public func updateObjection(_ id: ObjectionID, actor: String,
                                _ transition: @escaping @Sendable (Objection) throws -> Objection) async throws -> Objection {
        try await commits.run { db, trail in try Self.update(id, actor: actor, db, &trail, transition) }
    }

    /// Upholds or rejects an undecided objection; an upheld one whose member no dataset holds is
    /// completed in the same transaction, so the member is never told "upheld" without the
    /// completion that is already true.
    public func decideObjection(_ id: ObjectionID, outcome: ObjectionOutcome, reason: String, at instant: Date,
                                actor: String) async throws -> Objection {
        try await commits.run { db, trail in
            let decided = try Self.update(id, actor: actor, db, &trail) { try $0.deciding(outcome, reason: reason, at: instant) }
            guard outcome == .uphold, let member = decided.member,
                  let completed = try Self.completeIfRemoved(decided, member: member, actor: actor, db, &trail) else { return decided }
            return completed
        }
    }

    public func objection(_ id: ObjectionID) async throws -> Objection? {
        try await driver.read { db in try Self.objection(id, db) }
    }

    public func objections(status: ObjectionStatus?) async throws -> [Objection] {
        try await driver.read { db in
            try Self.objections(db, includingNonMembers: true).map(\.objection).filter { status == nil || $0.status == status }
        }
    }

    public func objections(of member: MemberID) async throws -> [Objection] {
        try await driver.read { db in try Self.objections(db, member: member).map(\.objection) }
    }

    // MARK: Non-members' requests

    public func requestObjection(_ request: ObjectionRequest, code: String, perAddress: RateLimit, total: RateLimit?) async throws {
        let key = EmailAddress.countingKey(request.email)
        let created = Timestamp.microseconds(request.createdAt)
        try await commits.run { db, _ in
            // Counted here, in the transaction that records the request: writers take turns,
            // so parallel requests each see the ones before them.
            if let wait = try Self.wait(under: perAddress, at: request.createdAt, db, counting: { since in
                "SELECT count(*), min(created_at) FROM objection_requests WHERE email_key = \(key) AND created_at > \(since)"
            }) {
                throw ConsentError.rateLimited("this address made \(perAddress.count) requests in the last \(perAddress.window); \(perAddress.sentence) are accepted",
                                               retryAfter: wait)
            }
            if let total, let wait = try Self.wait(under: total, at: request.createdAt, db, counting: { since in
                "SELECT count(*), min(created_at) FROM objection_requests WHERE created_at > \(since)"
            }) {
                throw ConsentError.rateLimited("the privacy team received as many requests from people without an account as it accepts (\(total.sentence)); please try again later",
                                               retryAfter: wait)
            }
            try db.execute("""
                INSERT INTO objection_requests (id, email, email_key, identifiers, reason, code_sha256, created_at, language)
                VALUES (\(request.id), \(request.email), \(key), \(JSONWriter.array(request.identifiers.map(JSONWriter.string))), \(request.reason),
                        \(VerificationCodes.hash(code, request: request.id)), \(created), \(request.language))
                """)
            let eventID = OutboxEvent.newID()
            try Self.enqueue(id: eventID, type: OutboxEvent.verificationType, subject: request.id,
                             payload: OutboxPayloads.verification(request, eventID: eventID),
                             recordedAt: created, code: code, db)
        }
    }

    public func objectionRequest(_ id: String) async throws -> ObjectionRequest? {
        try await driver.read { db in try Self.objectionRequest(id, db)?.request }
    }

    /// Seconds until one more is allowed under `limit` at `instant`, nil when allowed now;
    /// `counting` is the query of `count(*)` and the oldest instant since its argument (the
    /// window's start, in microseconds), run in the caller's transaction.
    static func wait(under limit: RateLimit, at instant: Date, _ db: some SQLConnection, counting: (Int64) -> SQL) throws -> Int? {
        let row = try db.query(counting(Timestamp.microseconds(limit.windowStart(endingAt: instant)))).first
        return limit.retryAfter(recent: try row?.int(0) ?? 0, oldest: try row?.optionalInt64(1).map(Timestamp.fromMicroseconds), at: instant)
    }

    public func verifyObjectionRequest(_ id: String, code: String, at instant: Date, terms: ObjectionTerms,
                                       actor: String) async throws -> Objection {
        // A wrong code must count durably, so the outcome is decided in the transaction and
        // thrown after it commits.
        let outcome: Result<Objection, ConsentError> = try await commits.run { db, trail in
            guard let (request, hash) = try Self.objectionRequest(id, db) else { return .failure(.unknownObjectionRequest(id)) }
            if let refusal = request.refusal(at: instant) { return .failure(refusal) }
            guard Digest.constantTimeEqual(hash, VerificationCodes.hash(code, request: id)) else {
                try db.execute("UPDATE objection_requests SET attempts = attempts + 1 WHERE id = \(id)")
                return .failure(VerificationCodes.wrongCode(attemptsBefore: request.attempts))
            }
            let objection = Objection.fileForNonMember(id: .random(), email: request.email, identifiers: request.identifiers,
                                                       at: instant, reason: request.reason, language: request.language, terms: terms)
            try Self.insert(objection, actor: actor, db, &trail)
            try db.execute("UPDATE objection_requests SET objection_id = \(objection.id.rawValue) WHERE id = \(id)")
            return .success(objection)
        }
        return try outcome.get()
    }

    // MARK: In a transaction

    static func update(_ id: ObjectionID, actor: String, _ db: some SQLConnection, _ trail: inout AuditTrail,
                       _ transition: (Objection) throws -> Objection) throws -> Objection {
        guard let current = try objection(id, db) else { throw ConsentError.unknownObjection(id) }
        let updated = try transition(current)
        guard updated.id == current.id, updated.timeline.starts(with: current.timeline) else {
            throw ConsentError.illegalTransition(objection: id, message: "a transition may only append to the timeline")
        }
        try appendEvents(updated.timeline, from: current.timeline.count, of: updated, actor: actor, db, &trail)
        return updated
    }

    /// Inserts a new objection and its first events.
    static func insert(_ objection: Objection, actor: String, _ db: some SQLConnection, _ trail: inout AuditTrail) throws {
        var key: Int64?
        if let member = objection.member {
            guard let found = try db.memberKeys(of: [member.rawValue])[member.rawValue] else { throw ConsentError.unknownMember(member) }
            key = found
        }
        let identifiers = objection.member == nil ? JSONWriter.array(objection.identifiers.map(JSONWriter.string)) : nil
        try db.execute("""
            INSERT INTO objections (id, member_key, received_at, contact_email, identifiers, language)
            VALUES (\(objection.id.rawValue), \(key), \(Timestamp.microseconds(objection.receivedAt)), \(objection.contactEmail), \(identifiers),
                    \(objection.language))
            """)
        try appendEvents(objection.timeline, from: 0, of: objection, actor: actor, db, &trail)
    }

    /// Writes `timeline[start...]` with an audit entry each and, in the same transaction, the
    /// outbox event telling of each: a change and its notification commit together or not at all.
    static func appendEvents(_ timeline: [ObjectionEvent], from start: Int, of objection: Objection, actor: String,
                             _ db: some SQLConnection, _ trail: inout AuditTrail) throws {
        let email = try deliverableEmail(of: objection, db)
        for position in start..<timeline.count {
            let event = timeline[position]
            let row = StoredRecords.objectionEventRow(event, of: objection)
            try db.execute("""
                INSERT INTO objection_events (objection_id, position, kind, at, days, due, outcome, reason, actor, recorded_at)
                VALUES (\(objection.id.rawValue), \(position), \(row.kind), \(Timestamp.microseconds(event.at)), \(row.days),
                        \(row.due), \(row.outcome), \(row.reason), \(actor), \(trail.recordedAt))
                """)
            trail.append(actor: actor, action: row.action, subject: objection.id.rawValue, details: row.details)
            let type = OutboxEvent.type(of: event)
            let eventID = OutboxEvent.newID()
            try enqueue(id: eventID, type: type, subject: objection.id.rawValue,
                        payload: OutboxPayloads.objection(event, of: objection, email: email, eventID: eventID, type: type),
                        recordedAt: trail.recordedAt, db)
        }
    }

    static func enqueue(id: String, type: String, subject: String, payload: String, recordedAt: Int64, code: String? = nil,
                        _ db: some SQLConnection) throws {
        try db.execute("""
            INSERT INTO outbox (id, type, subject, payload, created_at, code) VALUES (\(id), \(type), \(subject), \(payload), \(recordedAt), \(code))
            """)
    }

    /// What each of `keys` already names, by digest: the reference of its write, or the refusal
    /// when the key was used for a request with other content. A key older than
    /// ``IdempotencyKey/lifetime`` is forgotten here (deleted), so it may name a new write.
    static func rememberedKeys(_ keys: [IdempotencyKey], _ write: IdempotencyKey.Write, now: Int64,
                               _ db: some SQLConnection) throws -> [String: Result<String, ConsentError>] {
        let lookup = RememberedKeys(keys: keys, write: write, now: now)
        return try lookup.found(db.queries(lookup.statements)[...])
    }

    /// The refusal of a key used again for a request with other content.
    static func reused(_ write: IdempotencyKey.Write) -> ConsentError { RememberedKeys.reused(write) }

    static func remember(_ key: IdempotencyKey, _ write: IdempotencyKey.Write, reference: String, _ db: some SQLConnection,
                         _ trail: AuditTrail) throws {
        try db.execute("""
            INSERT INTO idempotency_keys (key, kind, reference, created_at, request_sha256)
            VALUES (\(key.digest), \(write.rawValue), \(reference), \(trail.recordedAt), \(key.request))
            """)
    }

    static func objection(_ id: ObjectionID, _ db: some SQLConnection) throws -> Objection? {
        try objections(db, includingNonMembers: true, only: id).first?.objection
    }

    /// Objections with their events recorded at or before `knownAt` (all when nil) and their
    /// member's key, by receipt: members' only unless `includingNonMembers`; all of one member's, or one.
    static func objections(_ db: some SQLConnection, knownAt: Int64? = nil, includingNonMembers: Bool = false, member: MemberID? = nil,
                           members: [String]? = nil, only: ObjectionID? = nil) throws -> [(memberKey: Int64?, objection: Objection)] {
        try objections(from: db.query(objectionsStatement(knownAt: knownAt, includingNonMembers: includingNonMembers, member: member,
                                                          members: members, only: only)))
    }

    /// The statement ``objections(from:)`` reads, for ``objections(_:knownAt:includingNonMembers:member:members:only:)``.
    static func objectionsStatement(knownAt: Int64? = nil, includingNonMembers: Bool = false, member: MemberID? = nil,
                                    members: [String]? = nil, only: ObjectionID? = nil) -> SQL {
        // Members' objections always have their member: an inner join lets the planner start
        // from the members asked for (SQLite does not turn a LEFT JOIN filtered by an IN list
        // into one, and would scan every objection event).
        let withNonMembers = includingNonMembers || only != nil
        var sql: SQL = """
            SELECT o.id, o.member_key, m.id, o.contact_email, o.identifiers, o.language, e.kind, e.at, e.days, e.due, e.outcome, e.reason
            FROM objections o \(identifier: withNonMembers ? "LEFT JOIN" : "JOIN") members m ON m.member_key = o.member_key
            JOIN objection_events e ON e.objection_id = o.id
            WHERE 1 = 1
            """
        if let knownAt { sql = sql + " AND e.recorded_at <= \(knownAt)" }
        if let member { sql = sql + " AND m.id = \(member.rawValue)" }
        if let members { sql = sql + " AND m.id IN \(texts: members)" }
        if let only { sql = sql + " AND o.id = \(only.rawValue)" }
        return sql + " ORDER BY o.received_at, o.id\(.bytewise), e.position"
    }

    /// The objections in the rows of ``objectionsStatement(knownAt:includingNonMembers:member:members:only:)``.
    static func objections(from rows: [SQLRow]) throws -> [(memberKey: Int64?, objection: Objection)] {
        var result: [(Int64?, Objection)] = []
        var current: (id: String, key: Int64?, member: String?, email: String?, identifiers: String?, language: String,
                      timeline: [ObjectionEvent])?
        func close() throws {
            guard let current else { return }
            result.append((current.key, try replay(current.id, member: current.member, email: current.email,
                                                   identifiers: current.identifiers, language: current.language,
                                                   timeline: current.timeline)))
        }
        for row in rows {
            let id = try row.text(0)
            if current?.id != id {
                try close()
                current = (id, try row.optionalInt64(1), try row.optionalText(2), try row.optionalText(3), try row.optionalText(4),
                           try row.text(5), [])
            }
            current?.timeline.append(try StoredRecords.objectionEvent(kind: try row.text(6), at: try row.int64(7), days: try row.optionalInt(8),
                                                                      due: try row.optionalInt64(9), outcome: try row.optionalText(10),
                                                                      reason: try row.optionalText(11)))
        }
        try close()
        return result
    }

    private static func replay(_ id: String, member: String?, email: String?, identifiers: String?, language: String,
                               timeline: [ObjectionEvent]) throws -> Objection {
        let memberID = try member.map { text in
            guard let member = MemberID(text) else { throw ConsentError.storeUnavailable("objection \(id) names an unreadable member") }
            return member
        }
        return try Objection.replay(id: ObjectionID(rawValue: id), member: memberID, contactEmail: email,
                                    identifiers: identifiers.map(stringList) ?? [], language: language, timeline: timeline)
    }

    /// A stored JSON array of strings.
    static func stringList(_ json: String) -> [String] {
        guard case .array(let values)? = try? JSONParser.parse(json) else { return [] }
        return values.compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    private static func objectionRequest(_ id: String, _ db: some SQLConnection) throws -> (request: ObjectionRequest, codeHash: String)? {
        guard let row = try db.query("""
            SELECT id, email, identifiers, reason, code_sha256, created_at, attempts, objection_id, language
            FROM objection_requests WHERE id = \(id)
            """).first else { return nil }
        let request = ObjectionRequest(id: try row.text(0), email: try row.text(1), identifiers: stringList(try row.text(2)),
                                       reason: try row.optionalText(3), createdAt: Timestamp.fromMicroseconds(try row.int64(5)),
                                       language: try row.text(8), attempts: try row.int(6), objection: try row.optionalText(7).map(ObjectionID.init(rawValue:)))
        return (request, try row.text(4))
    }
}

/// Which idempotency keys were used before, read in statements that may go out with others
/// (``SQLConnection/queries(_:)``): the expired ones are deleted, then the rest read.
struct RememberedKeys {
    let keys: [IdempotencyKey]
    let write: IdempotencyKey.Write
    /// Microseconds; a key created ``IdempotencyKey/lifetime`` before this is forgotten.
    let now: Int64

    private var digests: [String] { Array(Set(keys.map { $0.digest })) }

    /// None when there are no keys.
    var statements: [SQL] {
        guard !keys.isEmpty else { return [] }
        let expired = now - Int64(IdempotencyKey.lifetime * 1_000_000)
        return [
            "DELETE FROM idempotency_keys WHERE key IN \(texts: digests) AND created_at <= \(expired)",
            "SELECT key, reference, request_sha256 FROM idempotency_keys WHERE kind = \(write.rawValue) AND key IN \(texts: digests)",
        ]
    }

    /// What each key names, from the rows of ``statements`` (taken from the front of `rows`).
    func found(_ rows: ArraySlice<[SQLRow]>) throws -> [String: Result<String, ConsentError>] {
        guard !keys.isEmpty else { return [:] }
        let asked = Dictionary(keys.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
        var found: [String: Result<String, ConsentError>] = [:]
        for row in rows[rows.startIndex + 1] {
            let digest = try row.text(0)
            found[digest] = try asked[digest]?.replays(try row.optionalText(2)) == false
                ? .failure(Self.reused(write)) : .success(try row.text(1))
        }
        return found
    }

    /// The refusal of a key used again for a request with other content.
    static func reused(_ write: IdempotencyKey.Write) -> ConsentError {
        .idempotencyKeyReused("""
            this Idempotency-Key was used in the last 24 hours for a \(write == .choice ? "choice" : "objection") with other content; \
            a retry must repeat the request exactly, and a new request needs a new key
            """)
    }
}
