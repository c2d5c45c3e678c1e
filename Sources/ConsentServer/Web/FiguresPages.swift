import ConsentCore
import Foundation
import Hummingbird
import Mustache

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

    func addRoutes(to router: Router<ConsentRequestContext>) {
        router.get("admin", use: dashboard)
        router.get("transparency", use: transparency)
    }

    @Sendable func dashboard(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let session: WebSessions.Session
        switch try await admin.staff(request) { case .allowed(let found): session = found; case .refused(let page): return page }
        let (from, to) = try Self.window(request, now: now())
        let figures = try await store.programFigures(from: from, to: to, now: now())
        guard let policy = try await store.activePolicy() else { throw ConsentError.noActivePolicy }
        var data = FiguresView.data(PublicFigures(figures, minimumCount: 1), policy: policy.policy)
        data["title"] = "Program dashboard"
        data["purges"] = figures.purges.map { purge -> [String: Any] in
            ["dataset": purge.dataset.rawValue, "name": purge.name, "version": purge.version, "at": WebPages.when(purge.at),
             "removed": FiguresView.count(purge.removedMembers)]
        }
        data["hasPurges"] = !figures.purges.isEmpty
        data["models"] = figures.modelsWithRemovedData.map { ["model": $0.model, "removed": FiguresView.count($0.removedMembers)] }
        data["hasModels"] = !figures.modelsWithRemovedData.isEmpty
        return web.page("admin-dashboard", data, session: session)
    }

    @Sendable func transparency(_ request: Request, context: ConsentRequestContext) async throws -> Response {
        let (from, to) = try Self.window(request, now: now())
        let figures = try await store.programFigures(from: from, to: to, now: now())
        guard let policy = try await store.activePolicy() else { throw ConsentError.noActivePolicy }
        return web.page("transparency", TransparencyReport.data(PublicFigures(figures, minimumCount: minimumCount), policy: policy.policy))
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
        let from = try instant("from") ?? to.addingTimeInterval(-12 * 7 * 86_400)
        // Well-formed but not a window the figures cover: 422, as the API answers such values.
        guard from < to else { throw Problem.outside("query from: must be before to") }
        guard to.timeIntervalSince(ProgramFigures.weekStart(from)) <= Double(ProgramFigures.maximumWeeks * 7 * 86_400) else {
            throw Problem.outside("query to: the window is longer than \(ProgramFigures.maximumWeeks) weeks; ask for a shorter one")
        }
        return (from, to)
    }
}

/// What the dashboard and the transparency page show of ``PublicFigures``, as template data:
/// headline numbers, the charts with their tables, and the objections' handling.
enum FiguresView {
    static func data(_ figures: PublicFigures, policy: Policy) -> [String: Any] {
        let missing = "fewer than \(figures.minimumCount)"
        func shown(_ count: Int?) -> String { count.map(Self.count) ?? missing }
        func value(_ count: Int?) -> Double? { count.map(Double.init) }
        let regionNames = Dictionary(uniqueKeysWithValues: policy.regions.map { ($0.id, Explanation.regionName($0)) })
        func regionName(_ id: String) -> String { regionNames[id] ?? "No region (not in scope)" }
        let weeks = figures.weeks.map { CivilDate($0.start).description }
        let percent: (Double) -> String = { String(format: "%.1f%%", $0 * 100) }
        let whole: (Double) -> String = { Self.count(Int($0.rounded())) }

        let byReason = figures.byReason.sorted { ($0.count ?? -1) > ($1.count ?? -1) }
        var charts: [[String: Any]] = [
            ["bar": Charts.bars(id: "reasons", title: "Members by the reason for their decision now",
                                rows: byReason.map { $0.reason.rawValue.replacingOccurrences(of: "_", with: " ") },
                                series: [.init(name: "Members", values: byReason.map { value($0.count) })], format: whole, missing: missing)],
            ["bar": Charts.bars(id: "regions", title: "Members by region now: whose data may be used, and whose not",
                                rows: figures.regions.map { regionName($0.id) },
                                series: [.init(name: "May be used", values: figures.regions.map { value($0.eligible) }),
                                         .init(name: "Not used", values: figures.regions.map { value($0.excluded) })],
                                format: whole, missing: missing)],
        ]
        let regions = figures.weeks.first?.shares.map(\.region) ?? []
        charts.append(["line": Charts.lines(id: "opted-out", title: "Share of each region's members with the setting off, at the end of each week",
                                            periods: weeks, series: regions.enumerated().map { index, id in
                                                .init(name: regionName(id), values: figures.weeks.map { $0.shares[index].optedOut })
                                            }, maximum: 1, format: percent, missing: missing)])
        charts.append(["line": Charts.lines(id: "opted-in", title: "Share of each region's members who switched the setting on, at the end of each week",
                                            periods: weeks, series: regions.enumerated().map { index, id in
                                                .init(name: regionName(id), values: figures.weeks.map { $0.shares[index].optedIn })
                                            }, maximum: 1, format: percent, missing: missing)])
        let channels = ProgramFigures.channels.filter { $0 != .import }
        for (id, title, pick) in [("switched-off", "Choices to switch the setting off, by channel, per week", \PublicFigures.Week.switchedOff),
                                  ("switched-on", "Choices to switch the setting on, by channel, per week", \PublicFigures.Week.switchedOn)] {
            charts.append(["line": Charts.lines(id: id, title: title, periods: weeks, series: channels.map { channel in
                .init(name: Explanation.channelName(channel), values: figures.weeks.map { week in
                    value(week[keyPath: pick].first { $0.channel == channel }?.count)
                })
            }, format: whole, missing: missing)])
        }
        charts.append(["line": Charts.lines(id: "objections", title: "Objections received, decided, and overdue at the end of each week",
                                            periods: weeks, series: [
                                                .init(name: "Received", values: figures.weeks.map { value($0.objectionsReceived) }),
                                                .init(name: "Decided", values: figures.weeks.map { value($0.objectionsDecided) }),
                                                .init(name: "Overdue", values: figures.weeks.map { value($0.objectionsOverdue) }),
                                            ], format: whole, missing: missing)])
        let deadline = policy.objectionTerms.response
        let deadlineDays = deadline.after(Date(timeIntervalSince1970: 0)).timeIntervalSince1970 / 86_400
        let days: (Double) -> String = { String(format: "%.1f days", $0) }
        charts.append(["bar": Charts.bars(id: "decision-times", title: "Days from an objection to its decision, against the deadline (\(deadline))",
                                          rows: ["Median", "95th percentile", "Deadline"],
                                          series: [.init(name: "Days", values: [figures.medianDaysToDecision, figures.percentile95DaysToDecision, deadlineDays])],
                                          format: days, missing: figures.decided == nil ? missing + " decisions" : "no decisions")])
        return [
            "from": CivilDate(figures.from).description, "to": Timestamp.format(figures.to).prefix(10).description,
            "policyVersion": figures.policyVersion, "minimumCount": figures.minimumCount, "withholds": figures.minimumCount > 1,
            "withheldUpTo": figures.minimumCount - 1,
            "members": shown(figures.members), "eligible": shown(figures.eligible), "excluded": shown(figures.excluded),
            "decided": shown(figures.decided), "onTime": shown(figures.decidedOnTime), "late": shown(figures.decidedLate),
            "purgeCount": Self.count(figures.purges), "removedMembers": shown(figures.removedMembers),
            "modelCount": Self.count(figures.modelsWithRemovedData), "removedInModels": shown(figures.removedMembersInModels),
            "charts": charts,
        ]
    }

    /// `1,234`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }
}

/// The public transparency report: the page at `/transparency`, and the file
/// `consentry report transparency --format html` writes.
public enum TransparencyReport {
    /// The page's data: ``FiguresView`` with the policy in plain words.
    static func data(_ figures: PublicFigures, policy: Policy) -> [String: Any] {
        var data = FiguresView.data(figures, policy: policy)
        data["title"] = "Transparency report"
        data["regions"] = policy.regions.map { region -> [String: Any] in
            ["name": Explanation.regionName(region), "since": Explanation.longDate(region.effective),
             "countries": region.countries.map(\.description).joined(separator: ", "),
             "rule": region.defaultRule == .included
                ? "used unless the member switches the setting off"
                : "not used unless the member switches the setting on"]
        }
        // In words, as members read them on their setting page, with the code for reference.
        let named = { (category: Category) in "\(CategoryNames.name(category)) (\(category.rawValue))" }
        data["used"] = policy.allowedCategories.map(named).joined(separator: ", ")
        data["neverUsed"] = policy.excludedCategories.map(named).joined(separator: ", ")
        data["minimumAge"] = policy.minimumAge
        data["noticeDays"] = policy.noticeDays
        data["hasNotice"] = policy.noticeDays > 0
        data["honorsGPC"] = policy.honorGPC
        data["lookback"] = policy.lookbackStart.map(Explanation.longDate) ?? ""
        data["hasLookback"] = policy.lookbackStart != nil
        data["response"] = policy.objectionTerms.response.description
        data["maxExtension"] = policy.objectionTerms.maxExtension.description
        return data
    }

    /// The report as one HTML file that needs nothing beside it (no stylesheet, no script).
    public static func html(_ figures: PublicFigures, policy: Policy) throws -> String {
        var data = data(figures, policy: policy)
        data["standalone"] = true
        return try Templates.library().render(data, withTemplate: "transparency") ?? ""
    }
}
