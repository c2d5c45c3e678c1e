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
                                 VerificationCodes.hash(code, request: request.id), Timestamp.microseconds(request.createdAt)])
            let eventID = OutboxEvent.newID()
            try Self.enqueue(id: eventID, type: OutboxEvent.verificationType, subject: request.id,
                             payload: OutboxPayloads.verification(request, code: code, eventID: eventID),
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
            guard Digest.constantTimeEqual(hash, VerificationCodes.hash(code, request: id)) else {
                try db.execute(sql: "UPDATE objection_requests SET attempts = attempts + 1 WHERE id = ?", arguments: [id])
                return .failure(VerificationCodes.wrongCode(attemptsBefore: request.attempts))
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
}
