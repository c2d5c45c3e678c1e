import Foundation

/// Why a member's data may or may not be used. The cases are listed in precedence order: a
/// decision names the first blocking reason that applies, else the inclusion reason.
public enum Reason: String, Sendable, CaseIterable, Comparable {
    case memberUnknown = "member_unknown"
    case ageUnknown = "age_unknown"
    case minor
    case regionNotInScope = "region_not_in_scope"
    case notYetEffective = "not_yet_effective"
    case noticePending = "notice_pending"
    case objectionUpheld = "objection_upheld"
    case objectionPending = "objection_pending"
    case optedOut = "opted_out"
    case globalPrivacyControl = "global_privacy_control"
    case awaitingConsent = "awaiting_consent"
    case optedIn = "opted_in"
    case includedByDefault = "included_by_default"

    /// Whether this reason lets the data be used.
    public var isEligible: Bool { self == .optedIn || self == .includedByDefault }

    /// Whether the member's own switch can change the outcome: not for facts the member does
    /// not control (age, region, an unknown account) nor after an upheld objection, which
    /// excludes them for good.
    public var memberCanChange: Bool {
        switch self {
        case .memberUnknown, .ageUnknown, .minor, .regionNotInScope, .objectionUpheld: false
        default: true
        }
    }

    /// Precedence: earlier cases win.
    public static func < (lhs: Reason, rhs: Reason) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The answer for one member at one instant.
public struct Decision: Sendable, Equatable {
    public var reason: Reason
    /// The index of the member's region in the policy, nil when out of scope or unknown.
    public var regionIndex: Int?

    public var eligible: Bool { reason.isEligible }

    public init(reason: Reason, regionIndex: Int?) {
        self.reason = reason
        self.regionIndex = regionIndex
    }
}

/// Decides whether `member`'s data may be used for `policy.purpose` at `instant`.
///
/// The only implementation of the rules: pages, APIs, exports and filters all ask this.
/// Only ledger entries and objection events at or before `instant` count.
/// - Returns: the decision and the first reason that applies, in ``Reason``'s precedence.
@inlinable
public func decide(_ member: Member?, history: ConsentHistory, objections: [Objection],
                   policy: Policy, at instant: Date) -> Decision {
    guard let member else { return Decision(reason: .memberUnknown, regionIndex: nil) }
    let regionIndex = policy.regionIndex(of: member.country)
    func blocked(_ reason: Reason) -> Decision { Decision(reason: reason, regionIndex: regionIndex) }

    if let age = member.age(at: instant) {
        if age < policy.minimumAge { return blocked(.minor) }
    } else if policy.unknownAge == .exclude {
        return blocked(.ageUnknown)
    }
    guard let regionIndex else { return blocked(.regionNotInScope) }
    // Read in place, not copied out: this runs for every member of a snapshot.
    if instant < policy.regions[regionIndex].effective { return blocked(.notYetEffective) }
    if policy.noticeDays > 0 {
        guard let notifiedAt = member.notifiedAt,
              instant.timeIntervalSince(notifiedAt) >= TimeInterval(policy.noticeDays) * 86_400
        else { return blocked(.noticePending) }
    }
    if !objections.isEmpty {
        var pending = false
        for objection in objections {
            switch objection.status(at: instant) {
            case .upheld?, .completed?: return blocked(.objectionUpheld)
            case .received?, .extended?: pending = true
            case .rejected?, nil: break
            }
        }
        if pending { return blocked(.objectionPending) }
    }
    if let latest = history.latest(at: instant, honoringGPC: policy.honorGPC) {
        switch (latest.choice, latest.channel) {
        case (.off, .gpc): return blocked(.globalPrivacyControl)
        case (.off, _): return blocked(.optedOut)
        case (.on, _): return blocked(.optedIn)
        }
    }
    return blocked(policy.regions[regionIndex].defaultRule == .included ? .includedByDefault : .awaitingConsent)
}

/// Counts decisions: how many members, how many eligible, by reason and by region.
public struct DecisionSummary: Sendable, Equatable {
    public private(set) var members = 0
    public private(set) var eligible = 0
    public private(set) var byReason: [Reason: Int] = [:]
    /// Region id → count; members in no region count under `out_of_scope`.
    public private(set) var byRegion: [String: Int] = [:]

    public static let outOfScope = "out_of_scope"

    public init() {}

    public mutating func add(_ decision: Decision, policy: Policy) {
        members += 1
        if decision.eligible { eligible += 1 }
        byReason[decision.reason, default: 0] += 1
        byRegion[decision.regionIndex.map { policy.regions[$0].id } ?? Self.outOfScope, default: 0] += 1
    }
}

extension Reason {
    /// A short plain-language gloss, for reports and summaries.
    public var summary: String {
        switch self {
        case .memberUnknown: "not a known member"
        case .ageUnknown: "birth date unknown, and the policy excludes unknown ages"
        case .minor: "under the minimum age"
        case .regionNotInScope: "lives in a country no region covers"
        case .notYetEffective: "the region's effective date has not come yet"
        case .noticePending: "not yet notified long enough before use"
        case .objectionUpheld: "an objection was upheld"
        case .objectionPending: "an objection awaits a decision"
        case .optedOut: "switched the setting off"
        case .globalPrivacyControl: "browser sent Global Privacy Control"
        case .awaitingConsent: "opt-in region, no choice made"
        case .optedIn: "switched the setting on"
        case .includedByDefault: "opt-out region, no choice made"
        }
    }
}

/// Whether a member's data may go into training data made now as of an earlier instant: using
/// data is always a use now. The as-of instant chooses which records count by time; it never
/// brings back a member whom something excludes now (an objection, an opt-out, GPC, …).
public struct TrainingUse: Sendable, Equatable {
    /// The decision at the dataset's as-of instant.
    public var asOf: Decision
    /// The decision now, under the policy in force now.
    public var now: Decision
    /// The day from which the member's records may be used (the minimum-age birthday, under
    /// both instants' policies and facts, the later); nil when no birth date is known.
    public var usableFrom: CivilDate?

    public init(asOf: Decision, now: Decision, usableFrom: CivilDate? = nil) {
        self.asOf = asOf
        self.now = now
        self.usableFrom = usableFrom
    }

    /// True only when the member is eligible at the as-of instant and now.
    public var usable: Bool { asOf.eligible && now.eligible }

    /// The reason of the answer: the one at the as-of instant when it excludes, else the one
    /// that excludes now, else (usable) the as-of instant's eligible reason.
    public var reason: Reason { asOf.eligible ? (now.eligible ? asOf.reason : now.reason) : asOf.reason }
}

/// What the member's switch shows: their own setting, which is not always whether their data
/// is used. It is their latest choice (a GPC signal counting as "off" where the policy honours
/// it); without one, the default of their region (on where data is used unless they switch it
/// off, off where it is used only once they switch it on), and off outside every region. A
/// member whose switch is on may still not be used (a notice period not over, a region not yet
/// in force, an objection under review): the explanation says why the two differ.
public func memberSetting(latest: ConsentHistory.Entry?, region: Region?) -> Bool {
    if let latest { return latest.choice == .on }
    return region?.defaultRule == .included
}
