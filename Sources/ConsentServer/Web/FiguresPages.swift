import ConsentCore
import Foundation
import Hummingbird
import Mustache
import Synchronization

/// The program's figures as pages: the privacy team's dashboard at `GET /admin` (every figure,
/// role `privacy`) and the public transparency page at `GET /transparency` (no sign-in; every
/// count under the minimum withheld, see ``PublicFigures``), both for `?from=YYYY-MM-DD&to=YYYY-MM-DD`
/// (default: the twelve weeks up to now). `consentry report transparency --format html` writes
/// the public page to a file through ``TransparencyReport/html(_:policy:library:)``.
struct FiguresPages {
    let store: any LineageStore
    let web: WebPages
    let admin: AdminPages
    let now: @Sendable () -> Date
    /// The public page withholds counts under this.
    let minimumCount: Int
    /// The public page's figures, reused for a few minutes (the page needs no sign-in).
    let cache = FiguresCache()

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("admin", use: dashboard)
        router.get("transparency", use: transparency)
    }

    @Sendable func dashboard(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let session: WebSessions.Session
        switch try await admin.staff(request) { case .allowed(let found): session = found; case .refused(let page): return page }
        let (from, to) = try Self.window(request, now: now())
        let figures = try await store.programFigures(from: from, to: to, now: now())
        let catalog = WebPages.catalog(for: request)
        var data = FiguresView.data(PublicFigures(figures, minimumCount: 1), catalog: catalog)
        data["title"] = catalog.text("dashboard.title")
        data["lead"] = catalog.text("dashboard.lead", ["version": figures.policyVersion])
        data["purges"] = figures.purges.map { purge -> [String: Any] in
            ["dataset": purge.dataset.rawValue, "name": purge.name, "version": purge.version, "at": WebPages.when(purge.at),
             "removed": catalog.number(purge.removedMembers)]
        }
        data["hasPurges"] = !figures.purges.isEmpty
        data["models"] = figures.modelsWithRemovedData.map { ["model": $0.model, "removed": catalog.number($0.removedMembers)] }
        data["hasModels"] = !figures.modelsWithRemovedData.isEmpty
        return web.page("admin-dashboard", data, session: session, catalog: catalog, path: "/admin")
    }

    @Sendable func transparency(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let moment = now()
        let (from, to) = try Self.window(request, now: moment)
        let query = request.uri.queryParameters
        let key = [query.get("from"), query.get("to")].map { $0.map { String($0) } ?? "" }.joined(separator: "|")
        let figures = try await cache.figures(for: key, now: moment) { [store] in try await store.programFigures(from: from, to: to, now: moment) }
        let catalog = WebPages.catalog(for: request)
        return web.page("transparency", TransparencyReport.data(PublicFigures(figures, minimumCount: minimumCount), catalog: catalog),
                        catalog: catalog, path: "/transparency")
    }

    /// `?from=&to=` as dates (RFC 3339 instants also do); by default the twelve weeks up to `now`.
    /// - Throws: a 400 problem for a value that is no date, a 422 one for a window the figures
    ///   do not cover (empty, or longer than ``ProgramFigures/maximumWeeks``).
    static func window(_ request: Request, now: Date) throws -> (Date, Date) {
        let query = request.uri.queryParameters
        func instant(_ name: String) throws -> Date? {
            guard let text = query.get(name) else { return nil }
            guard let parsed = Timestamp.parse(String(text)) else {
                throw Problem.invalid(nil, "query \(name): \(jsonStringLiteral(String(text))) is not a date (YYYY-MM-DD)")
            }
            return parsed
        }
        // Figures end now at the latest: a later `to` means up to now.
        let to = min(try instant("to") ?? now, now)
        let from = try instant("from") ?? ProgramFigures.defaultFrom(to: to)
        // Well-formed but not a window the figures cover: 422, as the API answers such values.
        if let problem = ProgramFigures.windowProblem(from: from, to: to) { throw Problem.outside("query: " + problem) }
        return (from, to)
    }
}

/// The figures of the public page by window, for ``FiguresCache/lifetime``: computing them
/// reads every member's decision inputs (seconds for millions of members), and the page needs
/// no sign-in, so many requests must not each pay for it. Concurrent requests for one window
/// share one computation; at most ``capacity`` windows are kept.
final class FiguresCache: Sendable {
    static let lifetime: TimeInterval = 300
    static let capacity = 32

    private let entries = Mutex<[String: (task: Task<ProgramFigures, any Error>, at: Date)]>([:])

    func figures(for key: String, now: Date, compute: @escaping @Sendable () async throws -> ProgramFigures) async throws -> ProgramFigures {
        let task = entries.withLock { entries -> Task<ProgramFigures, any Error> in
            if let entry = entries[key], now.timeIntervalSince(entry.at) < Self.lifetime, now >= entry.at { return entry.task }
            if entries.count >= Self.capacity, let oldest = entries.min(by: { $0.value.at < $1.value.at })?.key { entries[oldest] = nil }
            let task = Task { try await compute() }
            entries[key] = (task, now)
            return task
        }
        do {
            return try await task.value
        } catch {
            // A failure (the store down) is not kept: the next request tries again.
            entries.withLock { entries in if entries[key]?.task == task { entries[key] = nil } }
            throw error
        }
    }
}

/// What the dashboard and the transparency page show of ``PublicFigures``, as template data:
/// headline numbers, the charts with their tables, and the objections' handling, in the catalog's language.
enum FiguresView {
    static func data(_ figures: PublicFigures, catalog: Catalog) -> [String: Any] {
        let policy = figures.policy
        let missing = catalog.text("figures.missing", ["count": String(figures.minimumCount)])
        func shown(_ count: Int?) -> String { count.map(catalog.number) ?? missing }
        func value(_ count: Int?) -> Double? { count.map(Double.init) }
        func regionName(_ id: String) -> String {
            policy.regions.first { $0.id == id }.map { Explanation.regionName($0, in: catalog) } ?? catalog.text("chart.no_region")
        }
        let weeks = figures.weeks.map { CivilDate($0.start).description }
        let percent: (Double) -> String = catalog.percent
        let whole: (Double) -> String = { catalog.number(Int($0.rounded())) }

        let byReason = figures.byReason.sorted { ($0.count ?? -1) > ($1.count ?? -1) }
        var charts: [[String: Any]] = [
            ["bar": Charts.bars(id: "reasons", title: catalog.text("chart.reasons"),
                                rows: byReason.map { catalog.text("reason." + $0.reason.rawValue) },
                                series: [.init(name: catalog.text("chart.series.members"), values: byReason.map { value($0.count) })],
                                format: whole, missing: missing)],
            ["bar": Charts.bars(id: "regions", title: catalog.text("chart.regions"),
                                rows: figures.regions.map { regionName($0.id) },
                                series: [.init(name: catalog.text("chart.series.used"), values: figures.regions.map { value($0.eligible) }),
                                         .init(name: catalog.text("chart.series.not_used"), values: figures.regions.map { value($0.excluded) })],
                                format: whole, missing: missing)],
        ]
        let regions = figures.weeks.first?.shares.map(\.region) ?? []
        for (id, pick) in [("opted-out", \PublicFigures.Week.optedOutShares), ("opted-in", \PublicFigures.Week.optedInShares)] {
            charts.append(["line": Charts.lines(id: id, title: catalog.text("chart." + id.replacingOccurrences(of: "-", with: "_")),
                                                periods: weeks, series: regions.enumerated().map { index, id in
                                                    .init(name: regionName(id), values: figures.weeks.map { $0[keyPath: pick][index] })
                                                }, maximum: 1, format: percent, missing: missing)])
        }
        let channels = ProgramFigures.channels.filter { $0 != .import }
        for (id, pick) in [("switched-off", \PublicFigures.Week.switchedOff), ("switched-on", \PublicFigures.Week.switchedOn)] {
            charts.append(["line": Charts.lines(id: id, title: catalog.text("chart." + id.replacingOccurrences(of: "-", with: "_")),
                                                periods: weeks, series: channels.map { channel in
                .init(name: catalog.channel(channel), values: figures.weeks.map { week in
                    value(week[keyPath: pick].first { $0.channel == channel }?.count)
                })
            }, format: whole, missing: missing)])
        }
        charts.append(["line": Charts.lines(id: "objections", title: catalog.text("chart.objections"), periods: weeks, series: [
            .init(name: catalog.text("chart.series.received"), values: figures.weeks.map { value($0.objectionsReceived) }),
            .init(name: catalog.text("chart.series.decided"), values: figures.weeks.map { value($0.objectionsDecided) }),
            .init(name: catalog.text("chart.series.overdue"), values: figures.weeks.map { value($0.objectionsOverdue) }),
        ], format: whole, missing: missing)])
        let deadline = policy.objectionTerms.response
        let deadlineDays = deadline.after(Date(timeIntervalSince1970: 0)).timeIntervalSince1970 / 86_400
        let days: (Double) -> String = { catalog.text("figures.days", ["days": catalog.decimal($0)]) }
        charts.append(["bar": Charts.bars(id: "decision-times", title: catalog.text("chart.decision_times", ["term": ObjectionPages.term(deadline, catalog: catalog)]),
                                          rows: [catalog.text("chart.median"), catalog.text("chart.p95"), catalog.text("chart.deadline")],
                                          series: [.init(name: catalog.text("chart.series.days"),
                                                         values: [figures.medianDaysToDecision, figures.percentile95DaysToDecision, deadlineDays])],
                                          format: days, missing: figures.decided == nil
                                            ? catalog.text("figures.too_few_decisions", ["count": String(figures.minimumCount)])
                                            : catalog.text("figures.no_decisions"))])
        let from = CivilDate(figures.from).description, to = Timestamp.format(figures.to).prefix(10).description
        return [
            "from": from, "to": to, "weeksHeading": catalog.text("figures.weeks_heading", ["from": from, "to": to]),
            "policyVersion": figures.policyVersion, "minimumCount": figures.minimumCount, "withholds": figures.minimumCount > 1,
            "members": shown(figures.members), "eligible": shown(figures.eligible), "excluded": shown(figures.excluded),
            "decided": shown(figures.decided), "onTime": shown(figures.decidedOnTime), "late": shown(figures.decidedLate),
            "purgeCount": catalog.number(figures.purges), "removedMembers": shown(figures.removedMembers),
            "modelCount": catalog.number(figures.modelsWithRemovedData), "removedInModels": shown(figures.removedMembersInModels),
            "charts": charts,
        ]
    }
}

/// The public transparency report: the page at `/transparency`, and the file
/// `consentry report transparency --format html` writes.
public enum TransparencyReport {
    /// The page's data: ``FiguresView`` with the policy in plain words.
    static func data(_ figures: PublicFigures, catalog: Catalog) -> [String: Any] {
        let policy = figures.policy
        var data = FiguresView.data(figures, catalog: catalog)
        data["title"] = catalog.text("transparency.title")
        data["headTitle"] = catalog.text("transparency.head_title")
        data["lead"] = catalog.text("transparency.lead", ["from": data["from"] as! String, "to": data["to"] as! String, "version": figures.policyVersion])
        data["withheld"] = catalog.text("transparency.withheld", ["upTo": String(figures.minimumCount - 1), "count": String(figures.minimumCount)])
        data["regions"] = policy.regions.map { region -> [String: Any] in
            ["name": Explanation.regionName(region, in: catalog),
             "countries": region.countries.map(\.description).joined(separator: ", "),
             "rule": catalog.text(region.defaultRule == .included ? "transparency.region_included" : "transparency.region_excluded",
                                  ["date": catalog.longDate(region.effective)])]
        }
        // In words, as members read them on their setting page, with the code for reference.
        let named = { (category: Category) in "\(catalog.category(category)) (\(category.rawValue))" }
        var rules = [catalog.text("transparency.elsewhere"), catalog.text("transparency.minors", ["age": String(policy.minimumAge)])]
        if policy.noticeDays > 0 { rules.append(catalog.text("transparency.notice", ["days": String(policy.noticeDays)])) }
        if policy.honorGPC { rules.append(catalog.text("transparency.gpc")) }
        if let lookback = policy.lookbackStart { rules.append(catalog.text("transparency.lookback", ["date": catalog.longDate(lookback)])) }
        rules.append(catalog.text("transparency.used", ["categories": policy.allowedCategories.map(named).joined(separator: ", ")]))
        rules.append(catalog.text("transparency.never_used", ["categories": policy.excludedCategories.map(named).joined(separator: ", ")]))
        rules.append(catalog.text("transparency.objections", ["response": ObjectionPages.term(policy.objectionTerms.response, catalog: catalog),
                                                              "extension": ObjectionPages.term(policy.objectionTerms.maxExtension, catalog: catalog)]))
        data["rules"] = rules
        return data
    }

    /// The report as one HTML file that needs nothing beside it (no stylesheet, no script).
    public static func html(_ figures: PublicFigures, catalog: Catalog = .english) throws -> String {
        var data = WebPages.localized(data(figures, catalog: catalog), catalog: catalog, switcherPath: nil)
        data["standalone"] = true
        return try Templates.library().render(data, withTemplate: "transparency") ?? ""
    }
}
