import Foundation

/// ``ProgramFigures`` as they may be published, with no member identifiable: every count from 1
/// to `minimumCount - 1` is withheld (nil), and where counts add up to a total that is
/// published, withholding one also withholds the next smallest, so that it cannot be worked out
/// by subtraction. A share (of a region opted out, say) is published only when both its count
/// and the rest of the region are publishable; decision times only over at least
/// `minimumCount` decisions. Zero is published: it names nobody.
public struct PublicFigures: Sendable {
    public static let defaultMinimumCount = 10

    public var minimumCount: Int
    public var from: Date
    public var to: Date
    /// The policy in force at `to` (``ProgramFigures/policy``).
    public var policy: Policy
    public var policyVersion: String { policy.version }
    public var members: Int?
    public var eligible: Int?
    public var excluded: Int?
    public var byReason: [(reason: Reason, count: Int?)]
    public var regions: [Region]
    public var weeks: [Week]
    public var decided: Int?
    public var decidedOnTime: Int?
    public var decidedLate: Int?
    public var medianDaysToDecision: Double?
    public var percentile95DaysToDecision: Double?
    public var responseTerm: Term { policy.objectionTerms.response }
    /// Purges in the window, and the members they removed in all.
    public var purges: Int
    public var removedMembers: Int?
    /// Models trained on data since removed, and the removed members they saw in all.
    public var modelsWithRemovedData: Int
    public var removedMembersInModels: Int?

    public struct Region: Sendable, Equatable {
        public var id: String
        public var members: Int?
        public var eligible: Int?
        public var excluded: Int?
    }

    public struct Week: Sendable {
        public var start: Date
        public var end: Date
        public var switchedOn: [(channel: Channel, count: Int?)]
        public var switchedOff: [(channel: Channel, count: Int?)]
        /// Per region of the policy, in its order: the shares opted out and opted in at the week's end.
        public var shares: [(region: String, optedOut: Double?, optedIn: Double?)]
        /// The shares opted out, in the order of ``shares``.
        public var optedOutShares: [Double?] { shares.map(\.optedOut) }
        /// The shares opted in, in the order of ``shares``.
        public var optedInShares: [Double?] { shares.map(\.optedIn) }
        public var objectionsReceived: Int?
        public var objectionsDecided: Int?
        public var objectionsOverdue: Int?
    }

    public init(_ figures: ProgramFigures, minimumCount: Int = PublicFigures.defaultMinimumCount) {
        let minimum = max(1, minimumCount)
        func shown(_ count: Int) -> Int? { Self.publishable(count, minimum: minimum) ? count : nil }
        self.minimumCount = minimum
        from = figures.from
        to = figures.to
        policy = figures.policy

        members = shown(figures.members)
        let split = Self.withholding([figures.eligible, figures.members - figures.eligible], minimum: minimum, totalShown: members != nil)
        (eligible, excluded) = (split[0], split[1])
        let reasons = Reason.allCases.filter { $0 != .memberUnknown }
        let reasonCounts = Self.withholding(reasons.map { figures.byReason[$0] ?? 0 }, minimum: minimum, totalShown: members != nil)
        byReason = zip(reasons, reasonCounts).map { ($0, $1) }
        let regionMembers = Self.withholding(figures.regions.map(\.members), minimum: minimum, totalShown: members != nil)
        regions = zip(figures.regions, regionMembers).map { region, count in
            let parts = Self.withholding([region.eligible, region.excluded], minimum: minimum, totalShown: count != nil)
            return Region(id: region.id, members: count, eligible: parts[0], excluded: parts[1])
        }

        let regionIDs = figures.regions.map(\.id).filter { $0 != DecisionSummary.outOfScope }
        weeks = figures.weeks.map { week in
            Week(start: week.start, end: week.end,
                 switchedOn: ProgramFigures.channels.map { ($0, shown(week.switchedOn[$0] ?? 0)) },
                 switchedOff: ProgramFigures.channels.map { ($0, shown(week.switchedOff[$0] ?? 0)) },
                 shares: regionIDs.map { id in
                     let settings = week.settings[id] ?? ProgramFigures.RegionSettings()
                     return (id, Self.share(settings.optedOut, of: settings.members, minimum: minimum),
                             Self.share(settings.optedIn, of: settings.members, minimum: minimum))
                 },
                 objectionsReceived: shown(week.objectionsReceived), objectionsDecided: shown(week.objectionsDecided),
                 objectionsOverdue: shown(week.objectionsOverdue))
        }

        let times = figures.decisionTimes
        decided = shown(times.decided)
        let timely = Self.withholding([times.onTime, times.late], minimum: minimum, totalShown: decided != nil)
        (decidedOnTime, decidedLate) = (timely[0], timely[1])
        medianDaysToDecision = times.decided >= minimum ? times.median : nil
        percentile95DaysToDecision = times.decided >= minimum ? times.percentile95 : nil

        purges = figures.purges.count
        removedMembers = shown(figures.purges.reduce(0) { $0 + $1.removedMembers })
        modelsWithRemovedData = figures.modelsWithRemovedData.count
        removedMembersInModels = shown(figures.modelsWithRemovedData.reduce(0) { $0 + $1.removedMembers })
    }

    /// Zero, or at least `minimum`.
    public static func publishable(_ count: Int, minimum: Int) -> Bool { count == 0 || count >= minimum }

    /// `counts` with each unpublishable one withheld; when they add up to a published total and
    /// exactly one is withheld, the smallest other non-zero one is withheld too.
    public static func withholding(_ counts: [Int], minimum: Int, totalShown: Bool) -> [Int?] {
        var shown: [Int?] = counts.map { publishable($0, minimum: minimum) ? $0 : nil }
        if totalShown, shown.filter({ $0 == nil }).count == 1,
           let next = counts.indices.filter({ shown[$0] != nil && counts[$0] > 0 }).min(by: { counts[$0] < counts[$1] }) {
            shown[next] = nil
        }
        return shown
    }

    /// `part / whole`, when neither `part` nor `whole - part` could point at fewer than `minimum` members.
    static func share(_ part: Int, of whole: Int, minimum: Int) -> Double? {
        guard whole > 0, publishable(part, minimum: minimum), publishable(whole - part, minimum: minimum) else { return nil }
        return Double(part) / Double(whole)
    }
}
