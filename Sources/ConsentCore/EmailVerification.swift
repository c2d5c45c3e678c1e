import Foundation

/// A member's proof that an address they typed is theirs: a code sent there and typed back.
///
/// A member may give an address with an objection, to be told how it goes. Until the address
/// is verified nothing about the objection is sent to it (the outbox events carry no address),
/// so nobody can have someone else's inbox told about their objection, or their member id. A
/// verification lasts ``lifetime`` and takes at most ``maxAttempts`` wrong codes; an address
/// verified once stays verified for that member (compared by ``EmailAddress/countingKey(_:)``).
public struct EmailVerification: Sendable, Equatable {
    public static let lifetime: TimeInterval = 86_400
    public static let maxAttempts = 5

    /// `ver_` and 16 hex digits.
    public let id: String
    public let member: MemberID
    /// As the member typed it.
    public let email: String
    public let createdAt: Date
    public var attempts: Int
    public var verifiedAt: Date?

    public init(id: String, member: MemberID, email: String, createdAt: Date, attempts: Int = 0, verifiedAt: Date? = nil) {
        self.id = id
        self.member = member
        self.email = email
        self.createdAt = createdAt
        self.attempts = attempts
        self.verifiedAt = verifiedAt
    }

    public static func newID() -> String { "ver_" + RandomHex.sixteen() }

    public var expiresAt: Date { createdAt.addingTimeInterval(Self.lifetime) }

    /// Whether a code may still be checked against it at `instant`.
    public func isOpen(at instant: Date) -> Bool {
        verifiedAt == nil && instant < expiresAt && attempts < Self.maxAttempts
    }

    /// The error for a wrong code, saying how many tries are left.
    public static func wrongCode(attemptsBefore: Int) -> ConsentError {
        .wrongCode(attemptsBefore: attemptsBefore, of: maxAttempts, whenNoneLeft: "give your address again with a new objection")
    }
}

extension ConsentError {
    /// A wrong verification code, saying how many of `maxAttempts` tries are left, or, after
    /// the last, what to do (`whenNoneLeft`).
    public static func wrongCode(attemptsBefore: Int, of maxAttempts: Int, whenNoneLeft: String) -> ConsentError {
        let left = maxAttempts - attemptsBefore - 1
        return .verificationFailed(left > 0 ? "the code is not right; \(left) \(left == 1 ? "try" : "tries") left"
                                            : "the code is not right, and no tries are left; " + whenNoneLeft, triesLeft: max(0, left))
    }
}
