import ConsentCore
import ConsentFormats
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// The member's "Data for Generative AI Improvement" setting, for the mobile apps:
/// `GET`/`PUT /api/v1/me/ai-training`, `GET /api/v1/me/ai-training/history` and
/// `GET /api/v1/me/ai-training/inclusion` (the datasets and models that hold or held their data).
/// No route names a member: a token only ever reaches its own member's data.
struct AITrainingController {
    let states: MemberStates
    /// Where the member's data went: datasets and models.
    let lineage: any LineageStore
    let now: @Sendable () -> Date

    func addRoutes(to group: RouterGroup<ConsentRequestContext>) {
        group.get("ai-training", use: show)
        group.put("ai-training", use: update)
        group.get("ai-training/history", use: history)
        group.get("ai-training/inclusion", use: inclusion)
        group.get("ai-training/record", use: record)
    }

    /// Everything Consentry holds about the member, as one JSON file to keep (GDPR art. 15 and
    /// 20): see ``MemberRecordFile``.
    @Sendable func record(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        try await recordDownload(for: try context.requireMember())
    }

    /// The member's record as a download, for the API and the page alike.
    func recordDownload(for member: MemberID) async throws -> Response {
        let body = try await MemberRecordFile(store: lineage, setting: try await stateJSON(for: member), now: now()).body(for: member)
        var response = JSONResponse.ok(body)
        response.headers[.contentDisposition] = "attachment; filename=\"consentry-record.json\""
        return response
    }

    /// Every dataset and model that holds or held the member's data: only the caller's own.
    @Sendable func inclusion(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        return JSONResponse.ok(InclusionBody(try await lineage.lineage(of: member), member: member))
    }

    @Sendable func show(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let catalog = Self.catalog(for: request)
        guard catalog.code == Catalog.english.code else {
            // Only the English body is cached: most apps ask in one language, and a body in
            // another is made as it is asked for.
            return Self.localized(JSONResponse.ok(try await stateJSON(for: member, in: catalog)), catalog)
        }
        let (cached, generation) = states.rendered.lookup(member)
        if let cached { return Self.localized(JSONResponse.ok(cached), catalog) }
        let body = try await stateJSON(for: member)
        states.rendered.store(body, for: member, generation: generation)
        return Self.localized(JSONResponse.ok(body), catalog)
    }

    /// The language of the app's `Accept-Language` (the `explanation`), else English.
    static func catalog(for request: Request) -> Catalog {
        Catalog.negotiate(cookie: nil, acceptLanguage: request.headers[.acceptLanguage])
    }

    /// `Content-Language`, so the app knows which language the explanation is in.
    static func localized(_ response: Response, _ catalog: Catalog) -> Response {
        var response = response
        response.headers[.contentLanguage] = catalog.code
        return response
    }

    @Sendable func update(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let channel: Channel
        do {
            channel = try ChoiceEntry.memberAPI.channel(named: request.headers[HTTPField.Name("X-Consentry-Channel")!])
        } catch ConsentError.invalidField(_, let message) {
            throw Problem.invalid(nil, "header X-Consentry-Channel: \(message)")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let enabled = try SettingChange.decode(from: body).enabled
        let key = try IdempotencyKey.from(request, scope: IdempotencyKey.scope(.choice, member: member),
                                          content: JSONWriter.object(["channel": jsonStringLiteral(channel.rawValue), "enabled": enabled ? "true" : "false"]))
        let event = ConsentEvent(member: member, choice: enabled ? .on : .off, channel: channel, at: now(), actor: member.rawValue)
        let view = try await states.recordThenView(event, idempotencyKey: key)
        let catalog = Self.catalog(for: request)
        return Self.localized(JSONResponse.ok(try stateJSON(view, in: catalog)), catalog)
    }

    @Sendable func history(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let member = try context.requireMember()
        let limitText = request.uri.queryParameters.get("limit") ?? "50"
        guard let limit = Int(limitText), (1...500).contains(limit) else {
            throw Problem.invalid(nil, "query limit: \(jsonStringLiteral(limitText)) must be a whole number from 1 to 500")
        }
        var before = Int64.max
        if let cursor = request.uri.queryParameters.get("cursor") {
            guard let value = Int64(cursor), value > 0 else { throw Problem.invalid(nil, "query cursor: \(jsonStringLiteral(cursor)) is not a cursor from a previous page") }
            before = value
        }
        guard let state = try await states.state(of: member) else { throw Problem.unauthenticated }
        let newestFirst = state.events.reversed().filter { ($0.sequence ?? 0) < before }
        let page = newestFirst.prefix(limit)
        let cursor = newestFirst.count > limit ? String(page.last?.sequence ?? 0) : nil
        return JSONResponse.ok(HistoryPage(items: page.map(HistoryItem.init), nextCursor: cursor))
    }

    /// The member's setting as the apps show it: `enabled` is what the member chose (or their
    /// region's default), `eligible` whether their data may be used now, `explanation` why.
    ///
    /// Written by hand, not through `Encodable`: every `PUT` returns it, and `JSONEncoder` took
    /// 12 µs for this body against about 1 µs here (see docs/architecture.md, "JSON bodies").
    func stateJSON(for member: MemberID, in catalog: Catalog = .english) async throws -> String {
        try stateJSON(try await states.view(of: member), in: catalog)
    }

    /// The same for a member's view (``MemberStates/view(of:)``); nil: no such member.
    private func stateJSON(_ view: (policy: PolicyVersion, state: MemberState)?, in catalog: Catalog) throws -> String {
        guard let (version, state) = view else { throw Problem.unauthenticated }
        let policy = version.policy
        let instant = now()
        let decision = state.decision(policy: policy, at: instant)
        let latest = state.latestChoice(at: instant, honoringGPC: policy.honorGPC)
        let region = decision.regionIndex.map { policy.regions[$0] }
        var body = JSONObjectWriter(capacity: 1024)
        body.field("can_change", decision.reason.memberCanChange ? "true" : "false")
        body.field("categories", CategoriesJSON.of(version))
        body.field("effective", JSONWriter.optional(region.map { CivilDate($0.effective).description }))
        body.field("eligible", decision.eligible ? "true" : "false")
        body.field("enabled", memberSetting(latest: latest, region: region) ? "true" : "false")
        body.field("explanation", jsonStringLiteral(Explanation.sentence(for: decision, policy: policy, latest: latest, in: catalog)))
        body.field("reason", jsonStringLiteral(decision.reason.rawValue))
        body.field("region", JSONWriter.optional(region?.id))
        body.field("updated_at", JSONWriter.optional(latest.map { Timestamp.format($0.at) }))
        return body.finish()
    }
}

enum JSONResponse {
    static func ok(_ body: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        ok(JSONBody.string(body), status: status)
    }

    /// `json`, already JSON text.
    static func ok(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }
}

/// The `categories` object of a policy version, written once per version.
enum CategoriesJSON {
    private static let cache = Mutex<(sha256: String, json: String)?>(nil)

    static func of(_ version: PolicyVersion) -> String {
        if let cached = cache.withLock({ $0 }), cached.sha256 == version.sha256 { return cached.json }
        var categories = JSONObjectWriter()
        categories.field("never_used", JSONWriter.array(version.policy.excludedCategories.map { jsonStringLiteral($0.rawValue) }))
        categories.field("used", JSONWriter.array(version.policy.allowedCategories.map { jsonStringLiteral($0.rawValue) }))
        let json = categories.finish()
        cache.withLock { $0 = (version.sha256, json) }
        return json
    }
}
