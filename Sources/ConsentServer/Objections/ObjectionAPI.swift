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
        let asked = try CodeBody.decode(from: body)
        let email = try await desk.verifyEmail(of: member, code: asked.code)
        return JSONResponse.ok(VerifiedEmail(email: email, verified: true))
    }

    @Sendable func file(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let asked = try NewObjection.decode(from: body)
        let (reason, email) = (asked.reason, asked.email)
        let key = try IdempotencyKey.from(request, scope: IdempotencyKey.scope(.objection, member: member),
                                          content: JSONWriter.object(["email": JSONWriter.optional(email), "reason": JSONWriter.optional(reason)]))
        let objection = try await desk.file(for: member, reason: reason, email: email, language: AITrainingController.catalog(for: request),
                                            idempotencyKey: key)
        let verified = try await desk.verifiedEmails(of: member)
        var response = JSONResponse.ok(MemberObjectionBody(objection, lineage: nil, verified: verified), status: .created)
        response.headers[.location] = "/api/v1/me/objections/\(objection.id)"
        return response
    }

    @Sendable func list(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let verified = try await desk.verifiedEmails(of: member)
        let items = try await desk.objections(of: member).map { MemberObjectionBody($0, lineage: nil, verified: verified) }
        return JSONResponse.ok(Items(items: items))
    }

    @Sendable func show(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let objection = try await desk.objection(ObjectionID(rawValue: context.parameters.get("id") ?? ""), of: member)
        return JSONResponse.ok(MemberObjectionBody(objection, lineage: try await desk.lineage(of: objection),
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
        let asked = try PublicObjection.decode(from: body)
        let accepted = try await desk.request(email: asked.email, identifiers: asked.identifiers ?? [], reason: asked.reason,
                                              language: AITrainingController.catalog(for: request), client: clientAddress.of(request, context: context))
        return JSONResponse.ok(RequestAccepted(accepted), status: .accepted)
    }

    @Sendable func verify(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let asked = try PublicVerification.decode(from: body)
        let objection = try await desk.verify(request: asked.request, code: asked.code)
        return JSONResponse.ok(MemberObjectionBody(objection, lineage: nil, verified: []), status: .created)
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
        let items = try await desk.queue(status: status, region: query.get("region"), overdueOnly: try request.flag("overdue"))
        return JSONResponse.ok(Items(items: items.map(QueueItemBody.init)))
    }

    @Sendable func show(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try context.require(.privacy)
        let catalog = AITrainingController.catalog(for: request)
        return AITrainingController.localized(JSONResponse.ok(ObjectionDetailBody(try await desk.detail(try Self.id(context), in: catalog))), catalog)
    }

    @Sendable func extend(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let staff = try Self.staff(context)
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let asked = try Extension.decode(from: body)
        let term: Term
        switch (asked.days, asked.months) {
        case (let days?, nil): term = .days(days)
        case (nil, let months?): term = .months(months)
        case (_?, _?): throw Problem.invalid("/months", "give days or months, not both")
        case (nil, nil): throw Problem.invalid("/days", "is required (or months)")
        }
        let updated = try await desk.extend(try Self.id(context), by: term, reason: asked.reason, by: staff)
        return JSONResponse.ok(QueueItemBody(try await desk.item(updated)))
    }

    @Sendable func decide(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let staff = try Self.staff(context)
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let asked = try DecisionBody.decode(from: body)
        guard let outcome = ObjectionOutcome(rawValue: asked.decision) else {
            throw Problem.invalid("/decision", "\(jsonStringLiteral(asked.decision)) must be uphold or reject")
        }
        let updated = try await desk.decide(try Self.id(context), outcome: outcome, reason: asked.reason, by: staff)
        return JSONResponse.ok(QueueItemBody(try await desk.item(updated)))
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

