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
            return web.formExpired(back: Self.formPath, linkText: "Back to your objections")
        }
        let id = ObjectionID(rawValue: form["objection"] ?? "")
        do {
            let email = try await desk.verifyEmail(of: member, code: form["code"] ?? "")
            let encoded = email.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return WebPages.redirect("/settings/data-privacy/objections/\(id)?verified=\(encoded)")
        } catch let error as ConsentError {
            let status: HTTPResponse.Status
            switch error {
            case .invalidField: status = .badRequest
            case .verificationFailed: status = .forbidden
            case .verificationClosed: status = .conflict
            default: throw error
            }
            let message = "\(error)"
            return try await objectionPage(id, session: session, member: member, request: request,
                                           verifyError: message.prefix(1).uppercased() + message.dropFirst(), status: status)
        }
    }

    @Sendable func form(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let (session, member) = try await web.member(request) else { return web.signInFirst(request) }
        return try await formPage(session: session, member: member, email: try await desk.lastEmail(of: member))
    }

    @Sendable func file(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let (session, member) = try await web.member(request) else { return web.signInFirst(request) }
        guard let form = try await web.form(request, session: session, context: context) else {
            return web.formExpired(back: Self.formPath, linkText: "Back to the form")
        }
        do {
            let objection = try await desk.file(for: member, reason: form["reason"], email: form["email"])
            return WebPages.redirect("/settings/data-privacy/objections/\(objection.id)?filed=1")
        } catch let error as ConsentError {
            let status: HTTPResponse.Status
            let message: String
            var retryAfter: Int?
            switch error {
            case .invalidField(let field, let detail):
                (status, message) = (.badRequest, (field == "email" ? "Email: " : "Reason: ") + detail)
            case .rateLimited(let detail, let wait):
                (status, message, retryAfter) = (.tooManyRequests, detail.prefix(1).uppercased() + detail.dropFirst(), wait)
            default:
                throw error
            }
            var response = try await formPage(session: session, member: member, email: form["email"], reason: form["reason"],
                                              error: message, status: status)
            if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
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
        let objection: Objection
        do {
            objection = try await desk.objection(id, of: member)
        } catch ConsentError.unknownObjection {
            return web.page("message", ["title": "Not found", "text": "There is no objection of yours at this address.",
                                        "link": Self.formPath, "linkText": "Your objections"], status: .notFound, session: session)
        }
        var data = Self.summary(objection)
        data["title"] = "Your objection"
        data["filed"] = request.uri.queryParameters.get("filed") != nil
        data["receipts"] = receipts
        data["csrfToken"] = web.sessions.csrfToken(for: session)
        let verified = try await desk.verifiedEmails(of: member)
        if let email = objection.contactEmail, ObjectionDesk.emailVerified(objection, verified: verified) == false {
            data["emailToVerify"] = email
        } else if let confirmed = request.uri.queryParameters.get("verified").map({ String($0) }),
                  verified.contains(EmailAddress.normalised(confirmed)) {
            // Only an address of the member's, verified: a link cannot put other words here.
            data["verified"] = confirmed
        }
        if let verifyError { data["verifyError"] = verifyError }
        data.merge(Self.removal(try await desk.lineage(of: objection)), uniquingKeysWith: { $1 })
        return web.page("objection", data, status: status, session: session)
    }

    func formPage(session: WebSessions.Session, member: MemberID, email: String?, reason: String? = nil, error: String? = nil,
                  status: HTTPResponse.Status = .ok) async throws -> Response {
        let objections = try await desk.objections(of: member)
        var data: [String: Any] = [
            "title": "Object to the use of your data",
            "csrfToken": web.sessions.csrfToken(for: session),
            "response": try await desk.states.activePolicy().policy.objectionTerms.response.description,
            "hasObjections": !objections.isEmpty,
            "objections": objections.map { ["id": $0.id.rawValue, "statusWord": Self.statusWord($0.status),
                                            "received": Explanation.longDate($0.receivedAt)] },
        ]
        if let email { data["email"] = email }
        if let reason { data["reason"] = reason }
        if let error { data["error"] = error }
        return web.page("objection-form", data, status: status, session: session)
    }

    // MARK: What the pages show (shared with the privacy team's pages)

    static func statusWord(_ status: ObjectionStatus) -> String {
        switch status {
        case .received: "Received — being reviewed"
        case .extended: "Being reviewed — more time needed"
        case .upheld: "Upheld — your data is being removed"
        case .rejected: "Rejected"
        case .completed: "Completed — your data is removed"
        }
    }

    /// Deadlines, status, what happens next and the timeline, for the member.
    static func summary(_ objection: Objection) -> [String: Any] {
        var data: [String: Any] = [
            "id": objection.id.rawValue,
            "status": objection.status.rawValue,
            "statusWord": statusWord(objection.status),
            "received": Explanation.longDate(objection.receivedAt),
            "due": Explanation.longDate(objection.due),
            "rejected": objection.status == .rejected,
            "timeline": timeline(objection),
        ]
        if let extended = objection.extendedDue { data["extendedDue"] = Explanation.longDate(extended) }
        if let decision = objection.decision { data["decided"] = Explanation.longDate(decision.at) }
        data["next"] = next(objection)
        return data
    }

    static func next(_ objection: Objection) -> String {
        switch objection.status {
        case .received:
            "Your data is left out of every new training set from now until we decide. We will answer by \(Explanation.longDate(objection.due)); if we need more time, we will tell you why before then."
        case .extended:
            "We need more time, and told you why. We will answer by \(Explanation.longDate(objection.currentDue)). Your data stays out of training meanwhile."
        case .upheld:
            "Your data will never again be used to train generative AI. We are removing it from the training datasets that hold it; this page shows the progress."
        case .rejected:
            "We decided not to uphold your objection, for the reasons in the timeline below. Your earlier setting applies again."
        case .completed:
            "Done: no training dataset we hold contains your data, and it is never used to train generative AI."
        }
    }

    static func timeline(_ objection: Objection) -> [[String: String]] {
        objection.timeline.map { event in
            switch event {
            case .received(let at, let due, let reason):
                ["when": WebPages.when(at), "title": "Received, due \(Explanation.longDate(due))", "text": reason.map { "Reason given: " + $0 } ?? ""]
            case .extended(let at, let days, let due, let reason):
                ["when": WebPages.when(at), "title": "Extended by \(days) days, to \(Explanation.longDate(due))", "text": reason]
            case .decided(let at, let outcome, let reason):
                ["when": WebPages.when(at), "title": outcome == .uphold ? "Upheld" : "Rejected", "text": reason]
            case .completed(let at, let reason):
                ["when": WebPages.when(at), "title": "Completed", "text": reason]
            }
        }
    }

    /// The datasets (removed or still to purge) and models, once an objection is upheld.
    static func removal(_ lineage: MemberLineage?) -> [String: Any] {
        guard let lineage else { return ["hasRemoval": false] }
        return [
            "hasRemoval": true,
            "hasDatasets": !lineage.datasets.isEmpty,
            "datasets": lineage.datasets.map { entry in
                ["name": entry.name, "id": entry.dataset.rawValue,
                 "state": entry.removedAt.map { "Removed on \(Explanation.longDate($0))" } ?? "Removal pending (the next purge)"]
            },
            "hasModels": !lineage.models.isEmpty,
            "models": lineage.models.map { ["model": $0.model, "dataset": $0.dataset.rawValue, "registered": Explanation.longDate($0.registeredAt)] },
        ]
    }
}
