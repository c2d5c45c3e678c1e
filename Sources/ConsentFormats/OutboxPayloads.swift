import ConsentCore
import Foundation

/// The JSON bodies of outbox events, the same whichever store writes them.
public enum OutboxPayloads {
    /// `{"email", "id", "member", "objection", "occurred_at", "type"}`: a step of an objection,
    /// with the whole objection and where to tell the person.
    ///
    /// `email` is the address the event may be sent to: a member's only once they verified it
    /// (``EmailVerification``), else nil, and then the objection inside names none either.
    public static func objection(_ event: ObjectionEvent, of objection: Objection, email: String?, eventID: String, type: String) -> String {
        var payload = JSONObjectWriter()
        var told = DecisionRecords.objectionFields(objection)
        told["email"] = JSONWriter.optional(email)
        payload.field("email", JSONWriter.optional(email))
        payload.field("id", JSONWriter.string(eventID))
        payload.field("member", JSONWriter.optional(objection.member?.rawValue))
        payload.field("objection", JSONWriter.object(told))
        payload.field("occurred_at", JSONWriter.string(Timestamp.format(event.at)))
        payload.field("type", JSONWriter.string(type))
        return payload.finish()
    }

    /// `{"email", "expires_at", "id", "occurred_at", "request", "type"}`: a non-member's
    /// verification request, for the platform's mailer. The code itself is not in it: it travels
    /// beside the payload (``OutboxEvent/code``) and joins the body only when delivered
    /// (``body(of:)``), so the payload kept for audit never holds it.
    public static func verification(_ request: ObjectionRequest, eventID: String) -> String {
        var payload = JSONObjectWriter()
        payload.field("email", JSONWriter.string(request.email))
        payload.field("expires_at", JSONWriter.string(Timestamp.format(request.expiresAt)))
        payload.field("id", JSONWriter.string(eventID))
        payload.field("occurred_at", JSONWriter.string(Timestamp.format(request.createdAt)))
        payload.field("request", JSONWriter.string(request.id))
        payload.field("type", JSONWriter.string(OutboxEvent.verificationType))
        return payload.finish()
    }

    /// `{"email", "expires_at", "id", "occurred_at", "type", "verification"}`: a code for an
    /// address a member gave, for the platform's mailer. Neither the member nor their objection
    /// is named: the address is not known to be theirs yet. The code travels beside the payload.
    public static func emailVerification(_ verification: EmailVerification, eventID: String) -> String {
        var payload = JSONObjectWriter()
        payload.field("email", JSONWriter.string(verification.email))
        payload.field("expires_at", JSONWriter.string(Timestamp.format(verification.expiresAt)))
        payload.field("id", JSONWriter.string(eventID))
        payload.field("occurred_at", JSONWriter.string(Timestamp.format(verification.createdAt)))
        payload.field("type", JSONWriter.string(OutboxEvent.emailVerificationType))
        payload.field("verification", JSONWriter.string(verification.id))
        return payload.finish()
    }

    /// The body delivered for `event`: its payload, with `"code"` as the first field while the
    /// event still carries one (keys stay sorted: every payload's first key sorts after "code").
    public static func body(of event: OutboxEvent) -> String {
        guard let code = event.code, event.payloadJSON.hasPrefix("{\""), event.payloadJSON.count > 2 else { return event.payloadJSON }
        return #"{"code":"# + JSONWriter.string(code) + "," + event.payloadJSON.dropFirst()
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
