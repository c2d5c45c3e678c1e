import ConsentCore
import ConsentFormats
import Foundation
import GRDB

extension SQLiteConsentStore {
    public func requestObjection(_ request: ObjectionRequest, code: String) async throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO objection_requests (id, email, identifiers, reason, code_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [request.id, request.email, JSONWriter.array(request.identifiers.map(JSONWriter.string)), request.reason,
                                 Self.codeHash(code, request: request.id), Timestamp.microseconds(request.createdAt)])
            var payload = JSONObjectWriter()
            let eventID = OutboxEvent.newID()
            payload.field("code", JSONWriter.string(code))
            payload.field("email", JSONWriter.string(request.email))
            payload.field("expires_at", JSONWriter.string(Timestamp.format(request.expiresAt)))
            payload.field("id", JSONWriter.string(eventID))
            payload.field("occurred_at", JSONWriter.string(Timestamp.format(request.createdAt)))
            payload.field("request", JSONWriter.string(request.id))
            payload.field("type", JSONWriter.string(OutboxEvent.verificationType))
            try Self.enqueue(id: eventID, type: OutboxEvent.verificationType, subject: request.id, payload: payload.finish(),
                             recordedAt: Timestamp.microseconds(now()), db: db)
        }
    }

    public func objectionRequest(_ id: String) async throws -> ObjectionRequest? {
        try read { db in try Self.objectionRequest(id, db: db)?.request }
    }

    public func objectionRequests(email: String, since: Date) async throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM objection_requests WHERE email = ? COLLATE NOCASE AND created_at >= ?",
                             arguments: [email, Timestamp.microseconds(since)]) ?? 0
        }
    }

    public func verifyObjectionRequest(_ id: String, code: String, at instant: Date, terms: ObjectionTerms,
                                       actor: String) async throws -> Objection {
        // A wrong code must count durably, so the outcome is decided in the transaction and
        // thrown after it commits.
        let outcome: Result<Objection, ConsentError> = try write { db in
            guard let (request, hash) = try Self.objectionRequest(id, db: db) else {
                return .failure(.unknownObjectionRequest(id))
            }
            if let refusal = request.refusal(at: instant) { return .failure(refusal) }
            guard Digest.constantTimeEqual(hash, Self.codeHash(code, request: id)) else {
                try db.execute(sql: "UPDATE objection_requests SET attempts = attempts + 1 WHERE id = ?", arguments: [id])
                let left = ObjectionRequest.maxAttempts - request.attempts - 1
                return .failure(.verificationFailed(left > 0 ? "the code is not right; \(left) \(left == 1 ? "try" : "tries") left"
                                                             : "the code is not right, and no tries are left; ask for a new one"))
            }
            let objection = Objection.fileForNonMember(id: .random(), email: request.email, identifiers: request.identifiers,
                                                       at: instant, reason: request.reason, terms: terms)
            var audit = try AuditAppender(db, now: now())
            try insert(objection, actor: actor, db: db, audit: &audit)
            try db.execute(sql: "UPDATE objection_requests SET objection_id = ? WHERE id = ?", arguments: [objection.id.rawValue, id])
            try audit.finish()
            return .success(objection)
        }
        return try outcome.get()
    }

    private static func objectionRequest(_ id: String, db: Database) throws -> (request: ObjectionRequest, codeHash: String)? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT id, email, identifiers, reason, code_sha256, created_at, attempts, objection_id FROM objection_requests WHERE id = ?
            """, arguments: [id])
        else { return nil }
        var identifiers: [String] = []
        if case .array(let values)? = try? JSONParser.parse(row[2] as String) {
            identifiers = values.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }
        let objection: String? = row[7]
        let request = ObjectionRequest(id: row[0], email: row[1], identifiers: identifiers, reason: row[3],
                                       createdAt: Timestamp.fromMicroseconds(row[5]), attempts: row[6],
                                       objection: objection.map(ObjectionID.init(rawValue:)))
        return (request, row[4])
    }

    /// Codes are kept as SHA-256 over the request id and the code: a read of the table does not
    /// reveal them, and a hash from one request says nothing about another.
    static func codeHash(_ code: String, request: String) -> String {
        Digest.sha256Hex(request + ":" + code)
    }
}
