import ConsentCore
import ConsentFormats
import Foundation

extension SQLConsentStore {
    public func verifyMemberEmail(_ member: MemberID, code: String, at instant: Date) async throws -> String {
        // A wrong code must count durably, so the outcome is decided in the transaction and
        // thrown after it commits.
        let outcome: Result<String, ConsentError> = try await commits.run { db, _ in
            let open = try Self.emailVerifications(of: member, db).filter { $0.verification.isOpen(at: instant) }
            guard !open.isEmpty else {
                return .failure(.verificationClosed("no address is waiting for a code: give it with an objection to be sent one"))
            }
            if let match = open.first(where: { Digest.constantTimeEqual($0.codeHash, VerificationCodes.hash(code, request: $0.verification.id)) }) {
                try db.execute("""
                    UPDATE email_verifications SET verified_at = \(Timestamp.microseconds(instant)) WHERE id = \(match.verification.id)
                    """)
                return .success(match.verification.email)
            }
            // A wrong code counts against every open one: guessing costs the same whichever.
            for candidate in open {
                try db.execute("UPDATE email_verifications SET attempts = attempts + 1 WHERE id = \(candidate.verification.id)")
            }
            return .failure(EmailVerification.wrongCode(attemptsBefore: open.map(\.verification.attempts).max() ?? 0))
        }
        return try outcome.get()
    }

    public func emailVerifications(of member: MemberID) async throws -> [EmailVerification] {
        try await driver.read { db in try Self.emailVerifications(of: member, db).map(\.verification) }
    }

    // MARK: In a transaction

    static func emailVerifications(of member: MemberID, _ db: some SQLConnection) throws -> [(verification: EmailVerification, codeHash: String)] {
        try db.query("""
            SELECT v.id, v.email, v.created_at, v.attempts, v.verified_at, v.code_sha256
            FROM email_verifications v JOIN members m ON m.member_key = v.member_key
            WHERE m.id = \(member.rawValue) ORDER BY v.created_at DESC, v.id
            """).map { row in
            (EmailVerification(id: try row.text(0), member: member, email: try row.text(1), createdAt: Timestamp.fromMicroseconds(try row.int64(2)),
                               attempts: try row.int(3), verifiedAt: try row.optionalInt64(4).map(Timestamp.fromMicroseconds)),
             try row.text(5))
        }
    }

    /// The address outbox events about `objection` may carry: a non-member's (verified before
    /// the objection was filed), a member's once they verified it; nil otherwise.
    static func deliverableEmail(of objection: Objection, _ db: some SQLConnection) throws -> String? {
        guard let email = objection.contactEmail else { return nil }
        guard let member = objection.member else { return email }
        let key = EmailAddress.normalised(email)
        return try emailVerifications(of: member, db).contains { $0.verification.verifiedAt != nil && EmailAddress.normalised($0.verification.email) == key }
            ? email : nil
    }

    /// After a member's objection is filed: unless its address is verified for the member, or a
    /// code for it is still open, queues a code to it (`member.email_verification`).
    static func verifyContactEmail(of objection: Objection, at instant: Date, _ db: some SQLConnection) throws {
        guard let member = objection.member, let email = objection.contactEmail else { return }
        let key = EmailAddress.normalised(email)
        let same = try emailVerifications(of: member, db).filter { EmailAddress.normalised($0.verification.email) == key }
        guard !same.contains(where: { $0.verification.verifiedAt != nil || $0.verification.isOpen(at: instant) }) else { return }
        guard let memberKey = try db.memberKeys(of: [member.rawValue])[member.rawValue] else { throw ConsentError.unknownMember(member) }
        let verification = EmailVerification(id: EmailVerification.newID(), member: member, email: email, createdAt: instant)
        let code = ObjectionRequest.newCode()
        let created = Timestamp.microseconds(instant)
        try db.execute("""
            INSERT INTO email_verifications (id, member_key, email, email_key, code_sha256, created_at)
            VALUES (\(verification.id), \(memberKey), \(email), \(key), \(VerificationCodes.hash(code, request: verification.id)), \(created))
            """)
        let eventID = OutboxEvent.newID()
        try enqueue(id: eventID, type: OutboxEvent.emailVerificationType, subject: verification.id,
                    payload: OutboxPayloads.emailVerification(verification, language: objection.language, eventID: eventID), recordedAt: created, code: code, db)
    }
}
