import ConsentCore
import ConsentFormats
import Foundation
import HTTPTypes
import Hummingbird

/// The member's objections: `POST|GET /api/v1/me/objections`, `GET /api/v1/me/objections/{id}`.
/// Only ever the calling member's own: another member's id answers 404, like an unknown one.
struct MemberObjectionsAPI {
    let desk: ObjectionDesk

    func addRoutes(to group: RouterGroup<ConsentRequestContext>) {
        group.post("objections", use: file)
        group.get("objections", use: list)
        group.get("objections/:id", use: show)
        group.post("email-verification", use: verifyEmail)
    }

    /// `POST /api/v1/me/email-verification` `{"code"}`: the code sent to an address the member
    /// gave with an objection; from then on that address is told how the objection goes.
    @Sendable func verifyEmail(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let fields = try JSONFields(body, allowed: ["code"], example: #"{"code": "12345678"}"#)
        let email = try await desk.verifyEmail(of: member, code: try fields.requiredString("code"))
        return JSONResponse.ok(JSONWriter.object(["email": JSONWriter.string(email), "verified": "true"]))
    }

    @Sendable func file(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let fields = try JSONFields(body, allowed: ["reason", "email"], example: #"{"reason": "optional", "email": "optional"}"#)
        let (reason, email) = (try fields.string("reason"), try fields.string("email"))
        let key = try IdempotencyKey.from(request, scope: IdempotencyKey.scope(.objection, member: member),
                                          content: JSONWriter.object(["email": JSONWriter.optional(email), "reason": JSONWriter.optional(reason)]))
        let objection = try await desk.file(for: member, reason: reason, email: email, idempotencyKey: key)
        let verified = try await desk.verifiedEmails(of: member)
        var response = JSONResponse.ok(ObjectionJSON.forMember(objection, lineage: nil, verified: verified), status: .created)
        response.headers[.location] = "/api/v1/me/objections/\(objection.id)"
        return response
    }

    @Sendable func list(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let verified = try await desk.verifiedEmails(of: member)
        let items = try await desk.objections(of: member).map { ObjectionJSON.forMember($0, lineage: nil, verified: verified) }
        return JSONResponse.ok(JSONWriter.object(["items": JSONWriter.array(items)]))
    }

    @Sendable func show(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let objection = try await desk.objection(ObjectionID(rawValue: context.parameters.get("id") ?? ""), of: member)
        return JSONResponse.ok(ObjectionJSON.forMember(objection, lineage: try await desk.lineage(of: objection),
                                                       verified: try await desk.verifiedEmails(of: member)))
    }
}

/// Non-members' objections, no sign-in: `POST /objections/public` asks, and the code sent to the
/// address files it through `POST /objections/public/verify`.
struct PublicObjectionsAPI {
    let desk: ObjectionDesk
    let clientAddress: ClientAddress

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.post("objections/public", use: request)
        router.post("objections/public/verify", use: verify)
    }

    @Sendable func request(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let fields = try JSONFields(body, allowed: ["email", "identifiers", "reason"],
                                    example: #"{"email": "you@example.com", "identifiers": ["https://…/post/123"]}"#)
        let asked = try await desk.request(email: try fields.requiredString("email"),
                                           identifiers: try fields.strings("identifiers") ?? [], reason: try fields.string("reason"),
                                           client: clientAddress.of(request, context: context))
        return JSONResponse.ok(JSONWriter.object([
            "request": JSONWriter.string(asked.id),
            "email": JSONWriter.string(asked.email),
            "expires_at": JSONWriter.string(Timestamp.format(asked.expiresAt)),
            "next": JSONWriter.string("We sent a code to \(asked.email). Send it with this request id to /objections/public/verify within an hour to file your objection."),
        ]), status: .accepted)
    }

    @Sendable func verify(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let fields = try JSONFields(body, allowed: ["request", "code"], example: #"{"request": "req_…", "code": "12345678"}"#)
        let objection = try await desk.verify(request: try fields.requiredString("request"), code: try fields.requiredString("code"))
        return JSONResponse.ok(ObjectionJSON.forMember(objection, lineage: nil, verified: []), status: .created)
    }
}

/// The privacy team's queue and decisions (role `privacy`): `GET /api/v1/admin/objections`,
/// `GET /api/v1/admin/objections/{id}`, `POST …/{id}/extension`, `POST …/{id}/decision`.
struct AdminObjectionsAPI {
    let desk: ObjectionDesk

    func addRoutes(to group: RouterGroup<ConsentRequestContext>) {
        group.get("objections", use: queue)
        group.get("objections/:id", use: show)
        group.post("objections/:id/extension", use: extend)
        group.post("objections/:id/decision", use: decide)
    }

    @Sendable func queue(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try context.require(.privacy)
        let query = request.uri.queryParameters
        var status: ObjectionStatus?
        if let text = query.get("status") {
            guard let parsed = ObjectionStatus(rawValue: text) else {
                throw Problem.invalid(nil, "query status: \(jsonStringLiteral(text)) must be one of \(ObjectionStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        var overdue = false
        if let text = query.get("overdue") {
            guard let flag = Bool(text) else { throw Problem.invalid(nil, "query overdue: \(jsonStringLiteral(text)) must be true or false") }
            overdue = flag
        }
        let items = try await desk.queue(status: status, region: query.get("region"), overdueOnly: overdue)
        return JSONResponse.ok(JSONWriter.object(["items": JSONWriter.array(items.map(ObjectionJSON.queueItem))]))
    }

    @Sendable func show(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try context.require(.privacy)
        return JSONResponse.ok(ObjectionJSON.detail(try await desk.detail(try Self.id(context))))
    }

    @Sendable func extend(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let staff = try Self.staff(context)
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let fields = try JSONFields(body, allowed: ["days", "months", "reason"], example: #"{"months": 2, "reason": "…"}"#)
        let term: Term
        switch (fields.has("days"), fields.has("months")) {
        case (true, false): term = .days(try fields.requiredInt("days"))
        case (false, true): term = .months(try fields.requiredInt("months"))
        case (true, true): throw Problem.invalid("/months", "give days or months, not both")
        case (false, false): throw Problem.invalid("/days", "is required (or months)")
        }
        let updated = try await desk.extend(try Self.id(context), by: term, reason: try fields.requiredString("reason"), by: staff)
        return JSONResponse.ok(ObjectionJSON.queueItem(try await desk.item(updated)))
    }

    @Sendable func decide(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let staff = try Self.staff(context)
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let fields = try JSONFields(body, allowed: ["decision", "reason"], example: #"{"decision": "uphold", "reason": "…"}"#)
        let text = try fields.requiredString("decision")
        guard let outcome = ObjectionOutcome(rawValue: text) else {
            throw Problem.invalid("/decision", "\(jsonStringLiteral(text)) must be uphold or reject")
        }
        let updated = try await desk.decide(try Self.id(context), outcome: outcome, reason: try fields.requiredString("reason"), by: staff)
        return JSONResponse.ok(ObjectionJSON.queueItem(try await desk.item(updated)))
    }

    static func id(_ context: ConsentRequestContext) throws -> ObjectionID {
        ObjectionID(rawValue: context.parameters.get("id") ?? "")
    }

    /// The staff member acting (the token's subject), as recorded in the audit log.
    static func staff(_ context: ConsentRequestContext) throws -> String {
        try context.require(.privacy)
        return "privacy:" + (context.identity?.subject ?? "")
    }
}

/// Objections as the API returns them.
enum ObjectionJSON {
    /// `{"id", "status", "received_at", "due", "extended_due", "decided_at", "decision_reason",
    /// "timeline", "email_verified", …}`, with `data_removal` (datasets and models that held the
    /// member) once upheld. `verified`: the member's verified addresses, normalised.
    static func forMember(_ objection: Objection, lineage: MemberLineage?, verified: Set<String>) -> String {
        var fields = DecisionRecords.objectionFields(objection)
        fields["email_verified"] = ObjectionDesk.emailVerified(objection, verified: verified).map { $0 ? "true" : "false" } ?? "null"
        if let lineage, let member = objection.member {
            fields["data_removal"] = DecisionRecords.lineageJSON(lineage, member: member)
        }
        return JSONWriter.object(fields)
    }

    /// A queue row: the objection with `days_left`, `overdue` and the member's `region`.
    static func queueItem(_ item: ObjectionDesk.QueueItem) -> String {
        JSONWriter.object(queueFields(item))
    }

    static func queueFields(_ item: ObjectionDesk.QueueItem) -> [String: String] {
        var fields = DecisionRecords.objectionFields(item.objection)
        fields["days_left"] = item.daysLeft.map { String($0) } ?? "null"
        fields["overdue"] = item.isOverdue ? "true" : "false"
        fields["region"] = JSONWriter.optional(item.region)
        return fields
    }

    /// The detail: a queue row with the member's current decision, their choices and lineage.
    static func detail(_ detail: ObjectionDesk.Detail) -> String {
        var fields = queueFields(detail.item)
        fields["member_decision"] = detail.decision.map { decision in
            JSONWriter.object(["eligible": decision.eligible ? "true" : "false", "reason": JSONWriter.string(decision.reason.rawValue),
                               "explanation": JSONWriter.optional(detail.explanation)])
        } ?? "null"
        fields["choices"] = JSONWriter.array(detail.choices.map(DecisionRecords.choiceJSON))
        // Absent, not null, until upheld: the document's Lineage is an object or nothing.
        fields["data_removal"] = detail.lineage.flatMap { lineage in
            detail.item.objection.member.map { DecisionRecords.lineageJSON(lineage, member: $0) }
        }
        return JSONWriter.object(fields)
    }
}
