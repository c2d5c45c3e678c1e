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

    public init(member: Member, data: [Category: String] = [:]) {
        self.member = member
        self.data = data
    }
}
