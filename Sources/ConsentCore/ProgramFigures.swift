import Foundation

/// How the program is going over a window of weeks: who may be used now and why not, how members
/// switched the setting week by week (by channel, and the share of each region opted out or in),
/// how objections were handled against their deadlines, and what purges removed.
///
/// The privacy team's dashboard shows these figures as they are; the public transparency page
/// and `consentry report transparency` show them through ``PublicFigures``, which suppresses
/// every count small enough to point at a person.
public struct ProgramFigures: Sendable, Equatable {
    /// The window: from the Monday (00:00 UTC) on or before the first day asked, to `to`.
    public var from: Date
    public var to: Date
    /// The policy in force at `to`: its regions, deadlines and categories are the figures'.
    public var policy: Policy
    public var policyVersion: String { policy.version }
    /// The policy's first deadline for deciding an objection.
    public var responseTerm: Term { policy.objectionTerms.response }

    /// Decisions at `to`: every member, those eligible, and the count for each reason (every
    /// reason present, zeros included; `member_unknown` never applies to a known member).
    public var members = 0
    public var eligible = 0
    public var byReason: [Reason: Int] = [:]
    /// Each region of the policy, then members in no region (`out_of_scope`).
    public var regions: [RegionNow] = []

    public var weeks: [Week] = []
    public var decisionTimes = DecisionTimes()
    /// Every purge that removed members in the window.
    public var purges: [Purge] = []
    /// Every model trained on a dataset version that held members since removed.
    public var modelsWithRemovedData: [ModelHolding] = []

    public struct RegionNow: Sendable, Equatable {
        public var id: String
        public var members: Int
        public var eligible: Int
        public var excluded: Int { members - eligible }
    }

    public struct Week: Sendable, Equatable {
        public var start: Date
        /// Exclusive; the window's end for the last week.
        public var end: Date
        /// Choices made during the week, by channel.
        public var switchedOn: [Channel: Int] = [:]
        public var switchedOff: [Channel: Int] = [:]
        /// Per region id, at the week's end: the region's members, and those whose own setting
        /// was off (switched off, or Global Privacy Control where honoured) or on.
        public var settings: [String: RegionSettings] = [:]
        public var objectionsReceived = 0
        public var objectionsDecided = 0
        /// Undecided and past the deadline in force at the week's end.
        public var objectionsOverdue = 0
    }

    public struct RegionSettings: Sendable, Equatable {
        public var members = 0
        public var optedOut = 0
        public var optedIn = 0

        public init(members: Int = 0, optedOut: Int = 0, optedIn: Int = 0) {
            self.members = members
            self.optedOut = optedOut
            self.optedIn = optedIn
        }
    }

    /// Objections decided in the window: how long each took, against its deadline in force.
    public struct DecisionTimes: Sendable, Equatable {
        /// Days from receipt to decision, sorted.
        public var days: [Double] = []
        public var onTime = 0
        public var late = 0
        public var decided: Int { days.count }
        public var median: Double? { Self.percentile(days, 0.5) }
        public var percentile95: Double? { Self.percentile(days, 0.95) }

        /// The nearest-rank percentile of sorted `values`.
        public static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
            guard !values.isEmpty else { return nil }
            let rank = Int((fraction * Double(values.count)).rounded(.up))
            return values[max(0, min(values.count - 1, rank - 1))]
        }
    }

    public struct Purge: Sendable, Equatable {
        public var dataset: DatasetID
        public var name: String
        public var version: Int
        public var at: Date
        public var removedMembers: Int
    }

    public struct ModelHolding: Sendable, Equatable {
        public var model: String
        public var removedMembers: Int
    }

    /// The longest window the figures cover, in weeks.
    public static let maximumWeeks = 106

    /// The window when none is asked for: the twelve weeks up to `to`.
    public static func defaultFrom(to: Date) -> Date { to.addingTimeInterval(-12 * 7 * 86_400) }

    /// Why `from` to `to` is not a window the figures cover (empty, or longer than
    /// ``maximumWeeks`` from the Monday of `from`), or nil.
    public static func windowProblem(from: Date, to: Date) -> String? {
        if from >= to { return "from must be before to" }
        if to.timeIntervalSince(weekStart(from)) > Double(maximumWeeks * 7 * 86_400) {
            return "the window is longer than \(maximumWeeks) weeks; ask for a shorter one"
        }
        return nil
    }

    /// The Monday 00:00 UTC on or before `instant`.
    public static func weekStart(_ instant: Date) -> Date {
        let days = CivilDate(instant).daysSinceEpoch
        // 1970-01-01 was a Thursday: days since then, shifted so that Monday is 0.
        let weekday = ((days + 3) % 7 + 7) % 7
        return Date(timeIntervalSince1970: Double((days - weekday) * 86_400))
    }

    /// Computes the figures from the decision inputs of every member, every objection (members'
    /// and non-members'), the registered datasets and models, for the window `from` to `to`.
    /// - Throws: ``ConsentError/noActivePolicy`` before any policy; ``ConsentError/invalidField(field:message:)``
    ///   for a window that is empty or longer than ``maximumWeeks``.
    public static func compute(view: DecisionView, objections: [Objection], datasets: [Dataset], models: [TrainedModel],
                               from: Date, to: Date) throws -> ProgramFigures {
        if let problem = windowProblem(from: from, to: to) { throw ConsentError.invalidField(field: "to", message: problem) }
        let start = weekStart(from)
        let policy = try view.policy(at: to).policy
        var figures = ProgramFigures(from: start, to: to, policy: policy)

        // Decisions at `to`.
        for reason in Reason.allCases where reason != .memberUnknown { figures.byReason[reason] = 0 }
        var regionMembers = [Int](repeating: 0, count: policy.regions.count + 1)
        var regionEligible = regionMembers
        try view.forEachDecision(at: to) { _, decision in
            figures.members += 1
            if decision.eligible { figures.eligible += 1 }
            figures.byReason[decision.reason, default: 0] += 1
            let slot = decision.regionIndex ?? policy.regions.count
            regionMembers[slot] += 1
            if decision.eligible { regionEligible[slot] += 1 }
        }
        let ids = policy.regions.map(\.id) + [DecisionSummary.outOfScope]
        figures.regions = ids.indices.map { RegionNow(id: ids[$0], members: regionMembers[$0], eligible: regionEligible[$0]) }

        // Week by week.
        var weeks: [Week] = []
        var weekBegin = start
        while weekBegin < to {
            let end = min(weekBegin.addingTimeInterval(7 * 86_400), to)
            weeks.append(Week(start: weekBegin, end: end))
            weekBegin = end
        }
        let snapshot = view.snapshot
        // Settings at each week's end, tallied by region index (not by id: this runs for every
        // member and every week), walking each member's choices once across the weeks.
        let regionCount = policy.regions.count
        var tallies = [RegionSettings](repeating: RegionSettings(), count: weeks.count * regionCount)
        let ends = weeks.map { $0.end.addingTimeInterval(-0.000_001) }  // just before: what held when it closed
        for index in 0..<snapshot.count {
            let entries = snapshot.history(at: index).entries
            for entry in entries where entry.at >= start && entry.at < to {
                let slot = Int(entry.at.timeIntervalSince(start) / (7 * 86_400))
                if entry.choice == .on { weeks[slot].switchedOn[entry.channel, default: 0] += 1 } else { weeks[slot].switchedOff[entry.channel, default: 0] += 1 }
            }
            // The choice in force, as ``ConsentHistory/latest(at:honoringGPC:)`` finds it.
            var next = entries.startIndex
            var inForce: Choice?
            for (slot, instant) in ends.enumerated() {
                while next < entries.endIndex, entries[next].at <= instant {
                    if entries[next].channel != .gpc || policy.honorGPC { inForce = entries[next].choice }
                    next += 1
                }
                guard let member = snapshot.member(at: index, instant: instant), let region = policy.regionIndex(of: member.country) else { continue }
                let cell = slot * regionCount + region
                tallies[cell].members += 1
                switch inForce {
                case .off?: tallies[cell].optedOut += 1
                case .on?: tallies[cell].optedIn += 1
                case nil: break
                }
            }
        }
        for slot in weeks.indices {
            for (region, definition) in policy.regions.enumerated() { weeks[slot].settings[definition.id] = tallies[slot * regionCount + region] }
        }
        var times: [Double] = []
        for objection in objections {
            if let slot = slot(of: objection.receivedAt, in: weeks) { weeks[slot].objectionsReceived += 1 }
            if let decision = objection.decision {
                if let slot = slot(of: decision.at, in: weeks) {
                    weeks[slot].objectionsDecided += 1
                    times.append(decision.at.timeIntervalSince(objection.receivedAt) / 86_400)
                    if decision.at <= objection.currentDue { figures.decisionTimes.onTime += 1 } else { figures.decisionTimes.late += 1 }
                }
            }
            for slot in weeks.indices {
                let end = weeks[slot].end
                let decidedBy = objection.decision.map { $0.at < end } ?? false
                if objection.receivedAt < end && !decidedBy && objection.due(at: end) < end { weeks[slot].objectionsOverdue += 1 }
            }
        }
        figures.decisionTimes.days = times.sorted()
        figures.weeks = weeks

        for dataset in datasets {
            for version in dataset.versions where version.removedMembers > 0 && version.createdAt >= start && version.createdAt < to {
                figures.purges.append(Purge(dataset: dataset.id, name: dataset.name, version: version.version, at: version.createdAt,
                                            removedMembers: version.removedMembers))
            }
        }
        figures.purges.sort { ($0.at, $0.dataset.rawValue) < ($1.at, $1.dataset.rawValue) }
        figures.modelsWithRemovedData = models.filter(\.containsRemovedData).map { ModelHolding(model: $0.name, removedMembers: $0.removedMembers) }
        return figures
    }

    private static func slot(of instant: Date, in weeks: [Week]) -> Int? {
        weeks.firstIndex { $0.start <= instant && instant < $0.end }
    }

    /// Channels in the order the figures list them.
    public static let channels: [Channel] = [.web, .ios, .android, .gpc, .api, .import]
}

extension Objection {
    /// The deadline in force at `instant`: the first one, or the extended one once extended by then.
    public func due(at instant: Date) -> Date {
        var due = self.due
        for case .extended(let at, _, let extended, _) in timeline where at <= instant { due = extended }
        return due
    }
}

extension LineageStore {
    /// The program's figures from the store: ``ProgramFigures/compute(view:objections:datasets:models:from:to:)``
    /// over every member, objection, dataset and model. `to` later than `now` is cut to `now`.
    public func programFigures(from: Date, to: Date, now: Date) async throws -> ProgramFigures {
        let view = try await decisionView(now: now)
        return try ProgramFigures.compute(view: view, objections: try await objections(status: nil), datasets: try await datasets(),
                                          models: try await models(), from: from, to: min(to, now))
    }
}
