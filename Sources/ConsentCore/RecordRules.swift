import Foundation

/// Why the training-data gate drops a record. A record's fate depends on its author's decision
/// and on the record itself; each dropped record counts under exactly one reason, the first in
/// this order (the cases are declared in it).
public enum DropReason: Int, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    /// The line is not valid JSON, or not a JSON object.
    case malformed
    /// The record names no member (the field is absent, null, not a string or an integer, or given twice).
    case missingMember
    /// The member is not known to the source of decisions.
    case memberUnknown
    // The author's decision excludes them: one case per blocking ``Reason``.
    case ageUnknown, minor, regionNotInScope, notYetEffective, noticePending, objectionUpheld,
         objectionPending, optedOut, globalPrivacyControl, awaitingConsent
    /// Listed in a plain exclusions file (`--exclusions`): only membership is known.
    case excluded
    /// `--category-field` was given and the record names no category (absent, null, not a string).
    case missingCategory
    /// The record's category is not one the policy allows for training (never-allowed ones
    /// included, and names outside the taxonomy).
    case categoryNotAllowed
    /// The content carries its own "do not train" signal (``Reservation``) in `--reservation-field`.
    case rightsReserved
    /// The record names someone who objected without being a member (a link, handle or name
    /// they gave, found in `--text-field` or the member field: ``ThirdPartyIdentifier``).
    case thirdPartyObjection
    /// `--no-record-times`: the records' times are unknown, and the member was under the minimum
    /// age at some time in the window (after the look-back start), so none of theirs is used.
    case minorInWindow
    /// `--time-field` was given and the record's time is absent or unreadable.
    case missingTime
    /// The record was created after the as-of instant: the decision may not cover it.
    case afterAsOf
    /// Created before its author reached the minimum age: never used, even after they come of age.
    case createdWhileMinor
    /// Created before the policy's look-back start.
    case beforeLookback

    /// The code in reports, e.g. `created_while_minor`; the member's reasons keep their own codes.
    public var code: String {
        switch self {
        case .malformed: "malformed"
        case .missingMember: "missing_member"
        case .memberUnknown: "member_unknown"
        case .excluded: "excluded"
        case .missingCategory: "missing_category"
        case .categoryNotAllowed: "category_not_allowed"
        case .rightsReserved: "rights_reserved"
        case .thirdPartyObjection: "third_party_objection"
        case .minorInWindow: "minor_in_window"
        case .missingTime: "missing_time"
        case .afterAsOf: "after_as_of"
        case .createdWhileMinor: "created_while_minor"
        case .beforeLookback: "before_lookback"
        default: memberReason!.rawValue
        }
    }

    public var description: String { code }

    /// The member's decision reason this case stands for, if it is one.
    public var memberReason: Reason? {
        switch self {
        case .memberUnknown: .memberUnknown
        case .ageUnknown: .ageUnknown
        case .minor: .minor
        case .regionNotInScope: .regionNotInScope
        case .notYetEffective: .notYetEffective
        case .noticePending: .noticePending
        case .objectionUpheld: .objectionUpheld
        case .objectionPending: .objectionPending
        case .optedOut: .optedOut
        case .globalPrivacyControl: .globalPrivacyControl
        case .awaitingConsent: .awaitingConsent
        default: nil
        }
    }

    /// The drop reason for a member excluded with `reason`; nil for the eligible reasons.
    public init?(excludedBecause reason: Reason) {
        guard let match = DropReason.allCases.first(where: { $0.memberReason == reason }) else { return nil }
        self = match
    }

    public init?(code: String) {
        guard let match = DropReason.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }

    public static func < (lhs: DropReason, rhs: DropReason) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What the gate knows about one member: eligible or not (and why), and from when their records
/// may be used.
public struct GateVerdict: Sendable, Equatable {
    /// Nil when eligible; otherwise why the member's records are dropped.
    public var drop: DropReason?
    /// Records created before this instant (microseconds since the epoch) were created while the
    /// member was under the minimum age. `Int64.min` when there is no such limit.
    public var usableFromMicros: Int64

    public init(drop: DropReason?, usableFromMicros: Int64 = .min) {
        self.drop = drop
        self.usableFromMicros = usableFromMicros
    }

    /// The verdict for a member's use: usable members carry their minimum-age birthday, when
    /// their birth date is known.
    public init(_ use: TrainingUse) {
        drop = use.usable ? nil : DropReason(excludedBecause: use.reason)
        usableFromMicros = use.usableFrom?.startOfDayMicroseconds ?? .min
    }
}

/// What the record rules take from the policies: data decided about at as-of and used now must
/// satisfy both the policy in force then and the one in force now, so each term is the stricter.
public struct RecordTerms: Sendable, Equatable {
    /// The higher minimum age.
    public var minimumAge: Int
    /// The window records are judged in: from the later look-back start; unbounded when neither
    /// policy sets one.
    public var windowStart: Date?
    /// The categories both allow (never a never-allowed one).
    public var categories: Set<Category>

    public init(then: Policy, now: Policy) {
        minimumAge = max(then.minimumAge, now.minimumAge)
        windowStart = switch (then.lookbackStart, now.lookbackStart) {
        case (let x?, let y?): max(x, y)
        case (let x, let y): x ?? y
        }
        categories = Set(then.allowedCategories.filter { now.allows($0) && !$0.isNeverAllowed })
    }
}

/// The record-level rules, in precedence order, once the line was read and the member found.
public enum RecordRules {
    /// Whether a member was under the minimum age at some time in the window that starts at
    /// `windowStartMicros` (unbounded when nil): their minimum-age birthday falls after its start.
    /// A member whose birth date is unknown (and who is eligible anyway) has no such time.
    @inlinable
    public static func minorInWindow(_ verdict: GateVerdict, windowStartMicros: Int64?) -> Bool {
        verdict.usableFromMicros != .min && verdict.usableFromMicros > (windowStartMicros ?? .min)
    }


    /// The fate of a record of a known member.
    ///
    /// - Parameters:
    ///   - verdict: the member's verdict at as-of.
    ///   - time: the record's creation time in microseconds when a time field is in use:
    ///     `.some(nil)` when it is in use but the record's time is missing or unreadable, nil when
    ///     no time field is in use.
    ///   - asOfMicros: the as-of instant.
    ///   - lookbackMicros: the policy's look-back start, if any.
    /// - Returns: nil to keep the record, otherwise the first reason that drops it.
    @inlinable
    public static func judge(_ verdict: GateVerdict, time: Int64??, asOfMicros: Int64, lookbackMicros: Int64?) -> DropReason? {
        if let drop = verdict.drop { return drop }
        guard let time else { return nil }
        guard let time else { return .missingTime }
        if time > asOfMicros { return .afterAsOf }
        if time < verdict.usableFromMicros { return .createdWhileMinor }
        if let lookbackMicros, time < lookbackMicros { return .beforeLookback }
        return nil
    }
}

extension CivilDate {
    /// The day a person born on `self` turns `years` old. A 29 February birthday is reached on
    /// 1 March in common years (when in doubt, later), as ``age(on:)`` counts it.
    public func comingOfAge(_ years: Int) -> CivilDate {
        let year = min(self.year + years, 9999)
        return CivilDate(year: year, month: month, day: day) ?? CivilDate(year: year, month: 3, day: 1)!
    }
}
