import ConsentCore
import ConsentFormats
import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The member's settings pages: server-rendered, usable without JavaScript, CSRF-protected.
///
/// - `GET /settings/data-privacy`: the Data Privacy section.
/// - `GET|POST /settings/data-privacy/generative-ai`: the setting, its reasons and history.
struct SettingsController {
    let states: MemberStates
    /// Where the member's data went, for the page's "Where your data is".
    let lineage: any LineageStore
    let web: WebPages
    let now: @Sendable () -> Date
    /// Whether the log signs receipts (a log key is set): the history then links to each.
    var receipts = false

    var sessions: WebSessions { web.sessions }
    var configuration: ServerConfiguration { web.configuration }

    static let settingPath = "/settings/data-privacy/generative-ai"

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("settings/data-privacy", use: dataPrivacy)
        router.get("settings/data-privacy/generative-ai", use: setting)
        router.post("settings/data-privacy/generative-ai", use: save)
        router.get("settings/data-privacy/generative-ai/record") { request, _ in
            guard let (_, member) = try await web.member(request) else { return web.signInFirst(request) }
            return try await AITrainingController(states: states, lineage: lineage, now: now).recordDownload(for: member)
        }
        router.get("assets/settings.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "max-age=3600"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: Templates.stylesheet)))
        }
        // The language switcher on every translated page: remembers the choice for a year.
        router.get("language") { request, _ in
            let query = request.uri.queryParameters
            guard let code = query.get("to"), let catalog = Catalog.named(String(code)) else {
                throw Problem.invalid(nil, "query to: must be one of " + Catalog.all.map(\.code).joined(separator: ", "))
            }
            var response = WebPages.redirect(SignInController.localPath(query.get("next").map { String($0) }) ?? "/settings/data-privacy")
            response.headers[.setCookie] = "\(Catalog.cookieName)=\(catalog.code); Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
                + (web.secureCookies ? "; Secure" : "")
            return response
        }
        router.get(".well-known/gpc.json") { _, _ in
            // What the active policy says: whether GPC is honoured, and since when (the day the
            // policy in force was activated).
            let version = try await states.activePolicy()
            return JSONResponse.ok(JSONWriter.object(["gpc": version.policy.honorGPC ? "true" : "false",
                                                      "lastUpdate": JSONWriter.string(CivilDate(version.activatedAt).description)]))
        }
    }

    // MARK: Pages

    @Sendable func dataPrivacy(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let (session, member) = try await web.member(request) else { return web.signInFirst(request) }
        let catalog = WebPages.catalog(for: request)
        let view = try await SettingView.load(member: member, states: states, now: now(), catalog: catalog)
        return web.page("data-privacy", ["title": catalog.text("privacy.title"), "stateWord": catalog.text(view.enabled ? "state.on" : "state.off"),
                                         "explanation": view.explanation], session: session, catalog: catalog, path: "/settings/data-privacy")
    }

    @Sendable func setting(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let (session, member) = try await web.member(request) else { return web.signInFirst(request) }
        var gpcApplied: Date?
        if request.headers[HTTPField.Name("Sec-GPC")!] == "1" {
            gpcApplied = try await applyGlobalPrivacyControl(for: member)
        }
        let catalog = WebPages.catalog(for: request)
        let view = try await SettingView.load(member: member, states: states, now: now(), catalog: catalog)
        var data = view.templateData
        data["title"] = catalog.text("setting.title")
        data["receipts"] = receipts
        data["csrfToken"] = sessions.csrfToken(for: session)
        data["saved"] = request.uri.queryParameters.get("saved") != nil
        if let gpcApplied { data["gpcApplied"] = catalog.text("setting.gpc_applied", ["date": catalog.longDate(gpcApplied)]) }
        data.merge(Self.inclusion(try await lineage.lineage(of: member), catalog: catalog), uniquingKeysWith: { $1 })
        return web.page("generative-ai", data, session: session, catalog: catalog, path: Self.settingPath)
    }

    @Sendable func save(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        guard let (session, member) = try await web.member(request) else { return web.signInFirst(request) }
        guard let form = try await web.form(request, session: session, context: context) else {
            return web.formExpired(request, back: Self.settingPath, linkText: "message.back_to_setting")
        }
        let enabled = form["enabled"] == "on"
        do {
            _ = try await states.record(ConsentEvent(member: member, choice: enabled ? .on : .off, channel: try ChoiceEntry.settingsPage.channel(named: nil),
                                                     at: now(), actor: member.rawValue))
        } catch let error as ConsentError {
            guard case .rateLimited(_, let wait) = error else { throw error }
            let catalog = WebPages.catalog(for: request)
            var response = web.page("message", ["title": catalog.text("message.not_saved"),
                                                "text": MemberErrors.sentence(for: error, catalog: catalog, now: now(), limit: .choices) ?? error.description,
                                                "link": Self.settingPath, "linkText": catalog.text("message.back_to_setting")],
                                    status: .tooManyRequests, session: session, catalog: catalog, path: Self.settingPath)
            response.headers[.retryAfter] = String(wait)
            return response
        }
        return WebPages.redirect(Self.settingPath + "?saved=1")
    }

    /// Records the browser's GPC signal as an `off` choice, once: not when the latest choice is
    /// already off, nor when the member switched it back on after their last GPC choice.
    /// - Returns: when GPC was applied, for the notice, or nil when nothing was recorded.
    func applyGlobalPrivacyControl(for member: MemberID) async throws -> Date? {
        let policy = try await states.activePolicy().policy
        guard policy.honorGPC, let state = try await states.state(of: member) else { return nil }
        let instant = now()
        if let latest = state.latestChoice(at: instant, honoringGPC: true) {
            if latest.choice == .off { return nil }
            if state.events.contains(where: { $0.channel == .gpc && $0.at <= latest.at }) { return nil }
        }
        do {
            let recorded = try await states.record(ConsentEvent(member: member, choice: .off, channel: try ChoiceEntry.browserSignal.channel(named: nil),
                                                                at: instant, actor: "gpc"))
            return recorded.at
        } catch ConsentError.rateLimited {
            // Recorded on a later visit, once the member's writes are allowed again.
            return nil
        }
    }

    /// "Where your data is": each dataset that holds or held the member, and each model trained
    /// on one while it held them, in words.
    static func inclusion(_ lineage: MemberLineage, catalog: Catalog) -> [String: Any] {
        [
            "hasInclusion": !lineage.datasets.isEmpty,
            "datasets": lineage.datasets.map { entry -> [String: Any] in
                [
                    "name": entry.name,
                    "details": catalog.text("setting.dataset", [
                        "id": entry.dataset.rawValue, "date": catalog.longDate(entry.createdAt),
                        "categories": entry.categories.isEmpty
                            ? catalog.text("setting.categories_not_recorded")
                            : entry.categories.map { Category(rawValue: $0).map(catalog.category) ?? $0 }.joined(separator: ", "),
                    ]),
                    "status": entry.removedAt.map { catalog.text("setting.removed_on", ["date": catalog.longDate($0)]) } ?? catalog.text("setting.holds"),
                    "removed": entry.removedAt != nil,
                ]
            },
            "models": lineage.models.map { entry -> [String: Any] in
                [
                    "name": entry.model,
                    "text": catalog.text(entry.trainedBeforeRemoval ? "setting.model_before_removal" : "setting.model_holds",
                                         ["date": catalog.longDate(entry.registeredAt), "dataset": entry.dataset.rawValue]),
                ]
            },
        ]
    }

    func page(_ template: String, _ data: [String: Any], status: HTTPResponse.Status = .ok, session: WebSessions.Session? = nil) -> Response {
        web.page(template, data, status: status, session: session)
    }
}

/// What the setting page shows for one member.
struct SettingView {
    var decision: Decision
    /// The member's own setting, which the switch shows (``memberSetting(latest:region:)``).
    var enabled: Bool
    var explanation: String
    var canChange: Bool
    var used: [String]
    var neverUsed: [String]
    var history: [ConsentEvent]

    var catalog: Catalog = .english

    static func load(member: MemberID, states: MemberStates, now: Date, catalog: Catalog = .english) async throws -> SettingView {
        guard let (version, state) = try await states.view(of: member) else { throw Problem.unauthenticated }
        let policy = version.policy
        let decision = state.decision(policy: policy, at: now)
        let latest = state.latestChoice(at: now, honoringGPC: policy.honorGPC)
        let region = decision.regionIndex.map { policy.regions[$0] }
        return SettingView(decision: decision, enabled: memberSetting(latest: latest, region: region),
                           explanation: Explanation.sentence(for: decision, policy: policy, latest: latest, in: catalog),
                           canChange: decision.reason.memberCanChange,
                           used: policy.allowedCategories.map(catalog.category),
                           neverUsed: policy.excludedCategories.map(catalog.category),
                           history: state.events.reversed(), catalog: catalog)
    }

    var templateData: [String: Any] {
        [
            "explanation": explanation,
            "why": explanation.range(of: " — ").map { String(explanation[$0.upperBound...]) } ?? explanation,
            "stateClass": decision.eligible ? "on" : "off",
            "checked": enabled,
            "canChange": canChange,
            "used": used,
            "neverUsed": neverUsed,
            "hasHistory": !history.isEmpty,
            "history": history.map { event in
                ["when": WebPages.when(event.at),
                 "choice": catalog.text(event.choice == .on ? "state.on" : "state.off"),
                 "channel": catalog.channel(event.channel),
                 "sequence": event.sequence.map(String.init) ?? ""]
            },
        ]
    }
}

/// `application/x-www-form-urlencoded` fields; the first value of a repeated name wins.
struct FormFields {
    private var values: [String: String] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? Self.decode(parts[1]) : "" }
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    static func decode(_ text: Substring) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
    }
}
