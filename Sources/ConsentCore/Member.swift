import Foundation

/// What eligibility needs to know about a member.
public struct Member: Sendable, Equatable {
    public var id: MemberID
    public var birthDate: CivilDate?
    public var country: CountryCode
    /// When the member was told that their data may be used for generative AI training.
    public var notifiedAt: Date?

    public init(id: MemberID, birthDate: CivilDate? = nil, country: CountryCode, notifiedAt: Date? = nil) {
        self.id = id
        self.birthDate = birthDate
        self.country = country
        self.notifiedAt = notifiedAt
    }

    /// Whole years of age at `instant` (UTC), or nil when the birth date is unknown.
    public func age(at instant: Date) -> Int? {
        birthDate?.age(on: CivilDate(instant))
    }
}

/// A member as the platform imports them: the eligibility facts plus the data the platform
/// holds, by category. The data may include categories no policy allows: they are stored,
/// never exported.
public struct MemberRecord: Sendable, Equatable {
    public var member: Member
    /// Category → the value as JSON text, exactly as imported (compact).
    public var data: [Category: String]
    /// Set on a correction of the past: the facts hold from this instant on (see
    /// ``MemberVersion``). Nil: a new member's facts hold from the beginning, a changed
    /// member's from the moment the change is recorded.
    public var validFrom: Date?

    public init(member: Member, data: [Category: String] = [:], validFrom: Date? = nil) {
        self.member = member
        self.data = data
        self.validFrom = validFrom
    }
}

/// One version of a member's eligibility facts (country, birth date, notice date), in two kinds
/// of time: the facts hold from `validFrom` (nil: from the beginning), and Consentry learnt
/// them at `recordedAt`. Versions are never changed or removed; a change or a correction adds one.
///
/// The rule, ``MemberVersion/inForce(at:in:)``: the facts at instant T are those of the version
/// recorded last among the versions valid at T. A change recorded today (valid from today)
/// therefore leaves every earlier answer alone; a correction valid from a past instant replaces
/// what was known about every instant from then on, and is itself a version, so what was
/// known before it can still be asked for (`--as-known-at`).
public struct MemberVersion: Sendable, Equatable {
    public var member: Member
    public var validFrom: Date?
    public var recordedAt: Date

    public init(member: Member, validFrom: Date?, recordedAt: Date) {
        self.member = member
        self.validFrom = validFrom
        self.recordedAt = recordedAt
    }

    /// Whether the facts hold at `instant`.
    @inlinable public func isValid(at instant: Date) -> Bool { validFrom.map { $0 <= instant } ?? true }

    /// The facts at `instant` from `versions` in record order: the last valid at `instant`, or
    /// nil when none is (the member was not one yet).
    @inlinable public static func inForce(at instant: Date, in versions: some BidirectionalCollection<MemberVersion>) -> Member? {
        versions.last(where: { $0.isValid(at: instant) })?.member
    }
}
