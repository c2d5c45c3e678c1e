import ConsentCore
import Foundation
import HTTPTypes
import Hummingbird

/// The member's objection pages:
///
/// - `GET /settings/data-privacy/objection`: the form (reason optional, email prefilled) and the
///   member's objections.
/// - `POST /settings/data-privacy/objection`: files it (CSRF) and redirects to its receipt.
/// - `GET /settings/data-privacy/objections/{id}`: status, deadlines, timeline and data removal.
///   Another member's objection is "not found", exactly like one that does not exist.
struct ObjectionPages {
    let desk: ObjectionDesk
    let web: WebPages
    /// Whether the log signs receipts: the objection page then offers the latest step's.
    var receipts = false

    static let formPath = "/settings/data-privacy/objection"

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("settings/data-privacy/objection", use: form)
        router.post("settings/data-privacy/objection", use: file)
        router.get("settings/data-privacy/objections/:id", use: show)
        router.post("settings/data-privacy/email-verification", use: verifyEmail)
    }

    /// The code sent to the address given with an objection, typed back on the objection's page.
    @Sendable func verifyEmail(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let (session, member) = try await web.member(request) else { return web.signInFirst(request) }
        guard let form = try await web.form(request, session: session, context: context) else {
            return web.formExpired(request, back: Self.formPath, linkText: "message.back_to_objections")
        }
        let id = ObjectionID(rawValue: form["objection"] ?? "")
        do {
            let email = try await desk.verifyEmail(of: member, code: form["code"] ?? "")
            let encoded = email.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return WebPages.redirect("/settings/data-privacy/objections/\(id)?verified=\(encoded)")
        } catch let error as ConsentError {
            guard let message = MemberErrors.sentence(for: error, catalog: WebPages.catalog(for: request), now: desk.now()) else { throw error }
            return try await objectionPage(id, session: session, member: member, request: request, verifyError: message,
                                           status: ProblemMiddleware<ConsentRequestContext>.problem(for: error).status)
        }
    }

    @Sendable func form(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let (session, member) = try await web.member(request) else { return web.signInFirst(request) }
        return try await formPage(session: session, member: member, catalog: WebPages.catalog(for: request), email: try await desk.lastEmail(of: member))
    }

    @Sendable func file(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let (session, member) = try await web.member(request) else { return web.signInFirst(request) }
        guard let form = try await web.form(request, session: session, context: context) else {
            return web.formExpired(request, back: Self.formPath, linkText: "message.back_to_form")
        }
        let catalog = WebPages.catalog(for: request)
        do {
            let objection = try await desk.file(for: member, reason: form["reason"], email: form["email"], language: catalog)
            return WebPages.redirect("/settings/data-privacy/objections/\(objection.id)?filed=1")
        } catch let error as ConsentError {
            guard let message = MemberErrors.sentence(for: error, catalog: catalog, now: desk.now()) else { throw error }
            var response = try await formPage(session: session, member: member, catalog: catalog, email: form["email"], reason: form["reason"],
                                              error: message, status: ProblemMiddleware<ConsentRequestContext>.problem(for: error).status)
            if case .rateLimited(_, let wait) = error { response.headers[.retryAfter] = String(wait) }
            return response
        }
    }

    @Sendable func show(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let (session, member) = try await web.member(request) else { return web.signInFirst(request) }
        return try await objectionPage(ObjectionID(rawValue: context.parameters.get("id") ?? ""), session: session, member: member,
                                       request: request)
    }

    /// The member's objection `id`, with the form to confirm its address while that is unverified.
    func objectionPage(_ id: ObjectionID, session: WebSessions.Session, member: MemberID, request: Request,
                       verifyError: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let catalog = WebPages.catalog(for: request)
        let objection: Objection
        do {
            objection = try await desk.objection(id, of: member)
        } catch ConsentError.unknownObjection {
            return web.page("message", ["title": catalog.text("objection.not_found"), "text": catalog.text("objection.not_found_text"),
                                        "link": Self.formPath, "linkText": catalog.text("objection.yours")], status: .notFound, session: session,
                            catalog: catalog, path: Self.formPath)
        }
        var data = Self.summary(objection, catalog: catalog)
        data["title"] = catalog.text("objection.your_objection")
        data["filed"] = request.uri.queryParameters.get("filed") != nil
        data["receipts"] = receipts
        data["csrfToken"] = web.sessions.csrfToken(for: session)
        let verified = try await desk.verifiedEmails(of: member)
        if let email = objection.contactEmail, ObjectionDesk.emailVerified(objection, verified: verified) == false {
            data["emailToVerify"] = email
        } else if let confirmed = request.uri.queryParameters.get("verified").map({ String($0) }),
                  verified.contains(EmailAddress.normalised(confirmed)) {
            // Only an address of the member's, verified: a link cannot put other words here.
            data["verified"] = catalog.text("objection.verified", ["email": confirmed])
        }
        if let verifyError { data["verifyError"] = verifyError }
        data.merge(Self.removal(try await desk.lineage(of: objection), catalog: catalog), uniquingKeysWith: { $1 })
        return web.page("objection", data, status: status, session: session, catalog: catalog, path: "/settings/data-privacy/objections/\(objection.id)")
    }

    func formPage(session: WebSessions.Session, member: MemberID, catalog: Catalog, email: String?, reason: String? = nil, error: String? = nil,
                  status: HTTPResponse.Status = .ok) async throws -> Response {
        let objections = try await desk.objections(of: member)
        let term = try await desk.states.activePolicy().policy.objectionTerms.response
        var data: [String: Any] = [
            "title": catalog.text("objection.title"),
            "csrfToken": web.sessions.csrfToken(for: session),
            "answerWithin": catalog.text("objection.answer_within", ["term": Self.term(term, catalog: catalog)]),
            "hasObjections": !objections.isEmpty,
            "objections": objections.map { ["id": $0.id.rawValue, "statusWord": Self.statusWord($0.status, catalog: catalog),
                                            "received": catalog.text("objection.received_on", ["date": catalog.longDate($0.receivedAt)])] },
        ]
        if let email { data["email"] = email }
        if let reason { data["reason"] = reason }
        if let error { data["error"] = error }
        return web.page("objection-form", data, status: status, session: session, catalog: catalog, path: Self.formPath)
    }

    // MARK: What the pages show (shared with the privacy team's pages)

    /// "30 days", "1 month" in the catalog's language.
    static func term(_ term: Term, catalog: Catalog) -> String {
        switch term {
        case .days(let count): catalog.text(count == 1 ? "term.day" : "term.days", ["count": String(count)])
        case .months(let count): catalog.text(count == 1 ? "term.month" : "term.months", ["count": String(count)])
        }
    }

    /// Deadlines, status, what happens next and the timeline, for the member.
    static func summary(_ objection: Objection, catalog: Catalog) -> [String: Any] {
        var data: [String: Any] = [
            "id": objection.id.rawValue,
            "status": objection.status.rawValue,
            "statusWord": statusWord(objection.status, catalog: catalog),
            "received": catalog.longDate(objection.receivedAt),
            "due": catalog.longDate(objection.due),
            "rejected": objection.status == .rejected,
            "timeline": timeline(objection, catalog: catalog),
        ]
        if let extended = objection.extendedDue { data["extendedDue"] = catalog.longDate(extended) }
        if let decision = objection.decision { data["decided"] = catalog.longDate(decision.at) }
        data["next"] = catalog.text("objection.next." + objection.status.rawValue,
                                    ["date": catalog.longDate(objection.status == .extended ? objection.currentDue : objection.due)])
        return data
    }

    static func statusWord(_ status: ObjectionStatus, catalog: Catalog) -> String {
        catalog.text("objection.status." + status.rawValue)
    }

    static func timeline(_ objection: Objection, catalog: Catalog = .english) -> [[String: String]] {
        objection.timeline.map { event in
            switch event {
            case .received(let at, let due, let reason):
                ["when": WebPages.when(at), "title": catalog.text("objection.step.received", ["date": catalog.longDate(due)]),
                 "text": reason.map { catalog.text("objection.step.reason", ["reason": $0]) } ?? ""]
            case .extended(let at, let days, let due, let reason):
                ["when": WebPages.when(at), "title": catalog.text("objection.step.extended", ["days": String(days), "date": catalog.longDate(due)]),
                 "text": reason]
            case .decided(let at, let outcome, let reason):
                ["when": WebPages.when(at), "title": catalog.text(outcome == .uphold ? "objection.step.upheld" : "objection.step.rejected"), "text": reason]
            case .completed(let at, let reason):
                ["when": WebPages.when(at), "title": catalog.text("objection.step.completed"), "text": reason]
            }
        }
    }

    /// The datasets (removed or still to purge) and models, once an objection is upheld.
    static func removal(_ lineage: MemberLineage?, catalog: Catalog = .english) -> [String: Any] {
        guard let lineage else { return ["hasRemoval": false] }
        return [
            "hasRemoval": true,
            "hasDatasets": !lineage.datasets.isEmpty,
            "datasets": lineage.datasets.map { entry in
                ["name": entry.name, "id": entry.dataset.rawValue,
                 "state": entry.removedAt.map { catalog.text("objection.removed_on", ["date": catalog.longDate($0)]) }
                    ?? catalog.text("objection.removal_pending")]
            },
            "hasModels": !lineage.models.isEmpty,
            "models": lineage.models.map {
                ["text": catalog.text("objection.model", ["model": $0.model, "dataset": $0.dataset.rawValue, "date": catalog.longDate($0.registeredAt)])]
            },
        ]
    }
}
