import ConsentCore
import Foundation
import HTTPTypes
import Hummingbird

/// The privacy team's pages (a session with role `privacy`, signed in through `/auth/sign-in`
/// like members, see ``SignInController``):
///
/// - `GET /admin/objections[?status=&region=&overdue=true]`: the queue, undecided first, soonest
///   due first, overdue rows highlighted.
/// - `GET /admin/objections/{id}`: the objection, the member's current setting and choices, the
///   datasets and models holding them, and forms to extend, uphold or reject.
/// - `POST /admin/objections/{id}/extension`, `POST /admin/objections/{id}/decision` (CSRF).
struct AdminPages {
    let desk: ObjectionDesk
    let web: WebPages

    static let queuePath = "/admin/objections"

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("admin/objections", use: queue)
        router.get("admin/objections/:id", use: show)
        router.post("admin/objections/:id/extension", use: extend)
        router.post("admin/objections/:id/decision", use: decide)
    }

    /// The staff session, or the page to answer instead: sign in (none), or not allowed (a member).
    func staff(_ request: Request) async throws -> StaffCheck {
        guard let session = try await web.session(request) else { return .refused(web.signInFirst(request)) }
        guard session.role == .privacy else {
            let catalog = WebPages.catalog(for: request)
            return .refused(web.page("message", ["title": catalog.text("admin.not_allowed"), "text": catalog.text("admin.not_allowed_text")],
                                     status: .forbidden, session: session, catalog: catalog, path: request.uri.path))
        }
        return .allowed(session)
    }

    enum StaffCheck {
        case allowed(WebSessions.Session)
        case refused(Response)
    }

    @Sendable func queue(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let session: WebSessions.Session
        switch try await staff(request) { case .allowed(let found): session = found; case .refused(let page): return page }
        let query = request.uri.queryParameters
        let status = query.get("status").flatMap { ObjectionStatus(rawValue: String($0)) }
        let region = query.get("region").flatMap { $0.isEmpty ? nil : String($0) }
        let overdue = query.get("overdue") == "true"
        let items = try await desk.queue(status: status, region: region, overdueOnly: overdue)
        let policy = try await desk.states.activePolicy().policy
        let held = try await desk.store.heldObjectors()
        let catalog = WebPages.catalog(for: request)
        let data: [String: Any] = [
            "title": catalog.text("admin.queue_title"),
            "lead": catalog.text("admin.queue_lead", ["staff": session.subject]),
            "hasHeld": !held.isEmpty,
            "held": held.map { item -> [String: Any] in
                ["objection": item.objection.rawValue, "member": item.member.rawValue, "dataset": item.dataset.rawValue,
                 "state": catalog.text(item.completed ? "admin.held_completed" : "admin.held_owed")]
            },
            "statuses": ObjectionStatus.allCases.map { ["value": $0.rawValue, "selected": $0 == status] },
            "regions": policy.regions.map { ["value": $0.id, "label": Explanation.regionName($0, in: catalog), "selected": $0.id == region] },
            "overdueOnly": overdue,
            "hasItems": !items.isEmpty,
            "items": items.map { item -> [String: Any] in
                let objection = item.objection
                return ["id": objection.id.rawValue, "from": Self.requester(objection, catalog: catalog), "region": item.region ?? "—",
                        "status": objection.status.rawValue, "received": WebPages.when(objection.receivedAt),
                        "due": WebPages.when(objection.currentDue), "overdue": item.isOverdue,
                        "daysLeft": item.daysLeft.map { days in
                            days >= 0 ? String(days) : days == -1 ? catalog.text("admin.overdue_by_one") : catalog.text("admin.overdue_by", ["count": String(-days)])
                        } ?? "—"]
            },
        ]
        return web.page("admin-objections", data, session: session, catalog: catalog, path: Self.queuePath)
    }

    @Sendable func show(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let session: WebSessions.Session
        switch try await staff(request) { case .allowed(let found): session = found; case .refused(let page): return page }
        return try await detailPage(id: Self.id(context), session: session, catalog: WebPages.catalog(for: request),
                                    done: request.uri.queryParameters.get("done").map { String($0) })
    }

    @Sendable func extend(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try await act(request, context: context) { form, id, staff in
            guard let amount = form["amount"].flatMap({ Int($0) }) else {
                throw ConsentError.invalidField(field: "amount", message: "must be a whole number")
            }
            let term: Term = form["unit"] == "days" ? .days(amount) : .months(amount)
            _ = try await desk.extend(id, by: term, reason: form["reason"] ?? "", by: staff)
            return "extended"
        }
    }

    @Sendable func decide(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try await act(request, context: context) { form, id, staff in
            guard let outcome = form["decision"].flatMap(ObjectionOutcome.init(rawValue:)) else {
                throw ConsentError.invalidField(field: "decision", message: "must be uphold or reject")
            }
            let decided = try await desk.decide(id, outcome: outcome, reason: form["reason"] ?? "", by: staff)
            return decided.status.rawValue
        }
    }

    /// Checks the session and the form's CSRF token, runs `action`, and redirects to the detail;
    /// a refused step shows the detail again with why (400 for a bad field, 409 for an illegal step).
    private func act(_ request: Request, context: ConsentRequestContext,
                     _ action: (FormFields, ObjectionID, String) async throws -> String) async throws -> Response {
        let session: WebSessions.Session
        switch try await staff(request) { case .allowed(let found): session = found; case .refused(let page): return page }
        let id = Self.id(context)
        guard let form = try await web.form(request, session: session, context: context) else {
            return web.formExpired(request, back: "\(Self.queuePath)/\(id)", linkText: "message.back_to_objection")
        }
        let catalog = WebPages.catalog(for: request)
        do {
            let done = try await action(form, id, "privacy:" + session.subject)
            return WebPages.redirect("\(Self.queuePath)/\(id)?done=\(done)")
        } catch let error as ConsentError {
            switch error {
            case .invalidField(let field, let message):
                return try await detailPage(id: id, session: session, catalog: catalog, error: "\(field): \(message)", status: .badRequest)
            case .outsidePolicy(let field, let message):
                return try await detailPage(id: id, session: session, catalog: catalog, error: "\(field): \(message)", status: .unprocessableContent)
            case .illegalTransition(_, let message):
                return try await detailPage(id: id, session: session, catalog: catalog,
                                            error: catalog.text("admin.not_possible", ["message": message]), status: .conflict)
            case .unknownObjection:
                return try await detailPage(id: id, session: session, catalog: catalog)
            default:
                throw error
            }
        }
    }

    private func detailPage(id: ObjectionID, session: WebSessions.Session, catalog: Catalog, done: String? = nil, error: String? = nil,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let detail: ObjectionDesk.Detail
        let path = "\(Self.queuePath)/\(id)"
        do {
            detail = try await desk.detail(id, in: catalog)
        } catch ConsentError.unknownObjection {
            return web.page("message", ["title": catalog.text("objection.not_found"), "text": catalog.text("admin.not_found_text", ["id": id.rawValue]),
                                        "link": Self.queuePath, "linkText": catalog.text("admin.the_queue")],
                            status: .notFound, session: session, catalog: catalog, path: Self.queuePath)
        }
        let objection = detail.item.objection
        let terms = try await desk.states.activePolicy().policy.objectionTerms
        var data: [String: Any] = [
            "title": catalog.text("admin.detail_title", ["id": objection.id.rawValue]),
            "id": objection.id.rawValue,
            "status": objection.status.rawValue,
            "statusWord": ObjectionPages.statusWord(objection.status, catalog: catalog),
            "overdue": detail.item.isOverdue,
            "from": Self.requester(objection, catalog: catalog),
            "received": WebPages.when(objection.receivedAt),
            "due": WebPages.when(objection.due),
            "pending": objection.status.isPending,
            "canExtend": objection.status == .received,
            "extendBy": catalog.text("admin.extend_by", ["term": ObjectionPages.term(terms.maxExtension, catalog: catalog),
                                                         "date": WebPages.when(terms.maxExtension.after(objection.due))]),
            "inMonths": { if case .months = terms.maxExtension { true } else { false } }(),
            "defaultAmount": { if case .months(let count) = terms.maxExtension { count } else { min(30, terms.maxExtension.count) } }(),
            "csrfToken": web.sessions.csrfToken(for: session),
            "hasIdentifiers": !objection.identifiers.isEmpty,
            "identifiers": objection.identifiers,
            "timeline": ObjectionPages.timeline(objection, catalog: catalog),
            "hasChoices": !detail.choices.isEmpty,
            "choices": detail.choices.map { ["when": WebPages.when($0.at), "choice": catalog.text($0.choice == .on ? "state.on" : "state.off"),
                                             "channel": catalog.channel($0.channel)] },
        ]
        // What is told to the person is prefilled in their language, whatever the staff member reads.
        let theirs = Catalog.named(objection.language) ?? .english
        data["language"] = theirs.text("language.name")
        data["upholdText"] = theirs.text("admin.uphold_text")
        data["rejectText"] = theirs.text("admin.reject_text")
        if let email = objection.contactEmail { data["email"] = email }
        if let region = detail.item.region { data["region"] = region }
        if let daysLeft = detail.item.daysLeft, daysLeft >= 0 { data["daysLeft"] = catalog.text("admin.days_left_after", ["count": String(daysLeft)]) }
        if let extended = objection.extendedDue { data["extendedDue"] = WebPages.when(extended) }
        if let reason = objection.memberReason { data["memberReason"] = reason }
        if let explanation = detail.explanation { data["explanation"] = explanation }
        if let done { data["done"] = catalog.text("admin.done", ["status": done]) }
        if let error { data["error"] = error }
        data.merge(ObjectionPages.removal(detail.lineage, catalog: catalog), uniquingKeysWith: { $1 })
        return web.page("admin-objection", data, status: status, session: session, catalog: catalog, path: path)
    }

    /// Who objected: the member id, or the verified address of a non-member.
    static func requester(_ objection: Objection, catalog: Catalog = .english) -> String {
        objection.member?.rawValue ?? catalog.text("admin.non_member", ["email": objection.contactEmail ?? catalog.text("admin.unknown")])
    }

    static func id(_ context: ConsentRequestContext) -> ObjectionID {
        ObjectionID(rawValue: context.parameters.get("id") ?? "")
    }
}
