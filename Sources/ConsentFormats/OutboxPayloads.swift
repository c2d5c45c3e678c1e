import ConsentCore
import Foundation

/// The JSON bodies of outbox events, the same whichever store writes them.
public enum OutboxPayloads {
    /// `{"email", "id", "language", "member", "objection", "occurred_at", "type"}`: a step of an
    /// objection, with the whole objection, where to tell the person and in which language.
    ///
    /// `email` is the address the event may be sent to: a member's only once they verified it
    /// (``EmailVerification``), else nil, and then the objection inside names none either.
    public static func objection(_ event: ObjectionEvent, of objection: Objection, email: String?, eventID: String, type: String) -> String {
        var told = ObjectionBody(objection)
        told.email = email
        return JSONBody.string(ObjectionStep(email: email, id: eventID, language: objection.language, member: objection.member?.rawValue,
                                             objection: told, occurredAt: event.at, type: type))
    }

    /// `{"email", "expires_at", "id", "language", "occurred_at", "request", "type"}`: a non-member's
    /// verification request, for the platform's mailer. The code itself is not in it: it travels
    /// beside the payload (``OutboxEvent/code``) and joins the body only when delivered
    /// (``body(of:)``), so the payload kept for audit never holds it.
    public static func verification(_ request: ObjectionRequest, eventID: String) -> String {
        JSONBody.string(CodeSent(email: request.email, expiresAt: request.expiresAt, id: eventID, language: request.language,
                                 occurredAt: request.createdAt, type: OutboxEvent.verificationType, request: request.id, verification: nil))
    }

    /// `{"email", "expires_at", "id", "language", "occurred_at", "type", "verification"}`: a code
    /// for an address a member gave (with an objection in `language`), for the platform's
    /// mailer. Neither the member nor their objection is named: the address is not known to be
    /// theirs yet. The code travels beside the payload.
    public static func emailVerification(_ verification: EmailVerification, language: String, eventID: String) -> String {
        JSONBody.string(CodeSent(email: verification.email, expiresAt: verification.expiresAt, id: eventID, language: language,
                                 occurredAt: verification.createdAt, type: OutboxEvent.emailVerificationType, request: nil,
                                 verification: verification.id))
    }

    struct ObjectionStep: Encodable {
        @Nullable var email: String?
        let id: String
        let language: String
        @Nullable var member: String?
        let objection: ObjectionBody
        let occurredAt: Date
        let type: String

        enum CodingKeys: String, CodingKey {
            case email, id, language, member, objection, type
            case occurredAt = "occurred_at"
        }
    }

    /// A code to send: for a non-member's `request` or a member's address `verification`.
    struct CodeSent: Encodable {
        let email: String
        let expiresAt: Date
        let id: String
        let language: String
        let occurredAt: Date
        let type: String
        let request: String?
        let verification: String?

        enum CodingKeys: String, CodingKey {
            case email, id, language, type, request, verification
            case expiresAt = "expires_at", occurredAt = "occurred_at"
        }
    }

    /// The body delivered for `event`: its payload, with `"code"` while the event still carries
    /// one, and `"message": {"subject", "text"}` when there is one to send (keys stay sorted).
    public static func body(of event: OutboxEvent, message: (subject: String, text: String)? = nil) -> String {
        guard event.code != nil || message != nil, case .object(var fields)? = try? JSONParser.parse(event.payloadJSON) else {
            return event.payloadJSON
        }
        if let code = event.code { fields.append((key: "code", value: .string(code))) }
        if let message {
            fields.append((key: "message", value: .object([(key: "subject", value: .string(message.subject)),
                                                           (key: "text", value: .string(message.text))])))
        }
        return JSONWriter.write(.object(fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }))
    }
}

/// How stores keep and check non-members' verification codes.
public enum VerificationCodes {
    /// SHA-256 over the request id and the code: a read of the table does not reveal codes, and
    /// a hash from one request says nothing about another.
    public static func hash(_ code: String, request: String) -> String {
        Digest.sha256Hex(request + ":" + code)
    }

    /// The error for a wrong code, saying how many tries are left.
    public static func wrongCode(attemptsBefore: Int) -> ConsentError {
        .wrongCode(attemptsBefore: attemptsBefore, of: ObjectionRequest.maxAttempts, whenNoneLeft: "ask for a new one")
    }
}
