import Foundation

/// A non-member's objection waiting for its email address to be verified.
///
/// Anyone can ask; the objection is filed only when the code sent to the address comes back
/// (so nobody can object, or flood the privacy team, in another person's name). A request
/// expires after ``lifetime`` and takes at most ``maxAttempts`` wrong codes.
public struct ObjectionRequest: Sendable, Equatable {
    public static let lifetime: TimeInterval = 3600
    public static let maxAttempts = 5

    /// `req_` and 16 hex digits; the verify step names it.
    public let id: String
    public let email: String
    /// What identifies the person's data: names, profile or post URLs. At least one.
    public let identifiers: [String]
    public let reason: String?
    public let createdAt: Date
    /// The language the person asked in; the code and every message about the objection are
    /// written to them in it (see ``Objection/language``).
    public let language: String
    /// Wrong codes tried so far.
    public var attempts: Int
    /// The objection filed once verified.
    public var objection: ObjectionID?

    public init(id: String, email: String, identifiers: [String], reason: String?, createdAt: Date, language: String = "en",
                attempts: Int = 0, objection: ObjectionID? = nil) {
        self.id = id
        self.language = language
        self.email = email
        self.identifiers = identifiers
        self.reason = reason
        self.createdAt = createdAt
        self.attempts = attempts
        self.objection = objection
    }

    /// A new request with a fresh id, after checking what the person typed.
    public static func new(email: String, identifiers: [String], reason: String?, language: String = "en",
                           at instant: Date) throws -> ObjectionRequest {
        let email = try EmailAddress.validated(email, field: "email")
        let identifiers = identifiers.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        guard !identifiers.isEmpty else {
            throw ConsentError.invalidField(field: "identifiers", message: "name at least one thing that identifies your data (a name, a profile or post URL)")
        }
        guard identifiers.count <= 20 else { throw ConsentError.invalidField(field: "identifiers", message: "at most 20 identifiers, not \(identifiers.count)") }
        if let long = identifiers.firstIndex(where: { $0.utf8.count > 500 }) {
            throw ConsentError.invalidField(field: "identifiers/\(long)", message: "at most 500 bytes")
        }
        let reason = try ObjectionText.reason(reason)
        return ObjectionRequest(id: "req_" + RandomHex.sixteen(), email: email, identifiers: identifiers, reason: reason,
                                createdAt: instant, language: language)
    }

    public var expiresAt: Date { createdAt.addingTimeInterval(Self.lifetime) }

    /// Why a code cannot be accepted now, or nil when it can be checked.
    public func refusal(at instant: Date) -> ConsentError? {
        if objection != nil { return .verificationClosed("this request was already verified; the objection is filed") }
        if instant >= expiresAt { return .verificationClosed("the code has expired; ask for a new one") }
        if attempts >= Self.maxAttempts { return .verificationClosed("too many wrong codes; ask for a new one") }
        return nil
    }

    /// A new 8-digit code from the system's secure generator.
    public static func newCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next(upperBound: UInt64(100_000_000))
        let digits = String(value)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// The checks on text a member or non-member types into an objection.
public enum ObjectionText {
    /// The longest reason accepted, in bytes of UTF-8.
    public static let maxReasonBytes = 5000

    /// A reason is optional; blank means none. At most ``maxReasonBytes``.
    public static func reason(_ text: String?) throws -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        guard trimmed.utf8.count <= maxReasonBytes else {
            throw ConsentError.invalidField(field: "reason", message: "at most \(maxReasonBytes) bytes, not \(trimmed.utf8.count)")
        }
        return trimmed
    }
}

/// Email addresses as Consentry accepts them: one `@`, a dotted domain, no white space
/// (Unicode White_Space) or control characters (C0, DEL, C1), at most 254 bytes — the same
/// rule as the `Email` pattern of the OpenAPI document. Deliverability is the mailer's business.
public enum EmailAddress {
    public static func validated(_ text: String, field: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // On scalars, not characters: "@" followed by a combining mark or an emoji modifier is
        // one Character, and must still split the address.
        let parts = trimmed.unicodeScalars.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              parts[1].first != ".", parts[1].last != ".",
              !trimmed.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        else {
            throw ConsentError.invalidField(field: field, message: "\(jsonStringLiteral(trimmed)) is not an email address like name@example.com")
        }
        return trimmed
    }

    /// The address compatibility-normalised (NFKC) and lower-cased: `Sam@Example.com` and
    /// `ｓａｍ@example.com` are `sam@example.com`. What makes two addresses the same one.
    public static func normalised(_ address: String) -> String {
        address.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCompatibilityMapping.lowercased()
    }

    /// The address as requests are counted against it: compatibility-normalised (NFKC, so
    /// full-width and other look-alike forms become plain letters), lower-cased, without a
    /// `+tag` in the local part, and without dots for Gmail, which ignores them. `Sam+1@Example.com`,
    /// `s.am+2@gmail.com` and `ｓａｍ@example.com` each count with their plain form. Only for
    /// counting: mail goes to the address as typed.
    public static func countingKey(_ address: String) -> String {
        let folded = normalised(address)
        guard let at = folded.lastIndex(of: "@") else { return folded }
        var local = folded[..<at]
        let domain = folded[folded.index(after: at)...]
        if let plus = local.firstIndex(of: "+") { local = local[..<plus] }
        var key = String(local)
        if domain == "gmail.com" || domain == "googlemail.com" { key.removeAll { $0 == "." } }
        return key + "@" + domain
    }
}

/// The limits that keep one member, one address, one client or everyone together from
/// growing the append-only ledger or flooding the privacy team's queue, each with a default
/// and an option of `consentry serve` to change it. Each verified request is a durable objection
/// with a legal deadline, so the limits that count objections are checked in the transaction
/// that records them: parallel requests cannot slip past.
public struct RequestLimits: Sendable, Equatable {
    /// Choices one member may record through the API, the page and GPC together (kept in
    /// memory, per instance); nil: none.
    public var memberWrites: RateLimit?
    /// Objections one member may file.
    public var objectionsPerMember: RateLimit
    /// Non-members' requests for one address, counted by ``EmailAddress/countingKey(_:)``.
    public var requestsPerAddress: RateLimit
    /// Non-members' requests from one client address (kept in memory, per instance); nil: none.
    public var requestsPerClient: RateLimit?
    /// Non-members' requests from everyone together; nil: none.
    public var requestsTotal: RateLimit?

    public init(memberWrites: RateLimit? = .perMinute(20), objectionsPerMember: RateLimit = .perDay(5),
                requestsPerAddress: RateLimit = .perDay(5), requestsPerClient: RateLimit? = .perHour(20),
                requestsTotal: RateLimit? = .perHour(1_000)) {
        self.memberWrites = memberWrites
        self.objectionsPerMember = objectionsPerMember
        self.requestsPerAddress = requestsPerAddress
        self.requestsPerClient = requestsPerClient
        self.requestsTotal = requestsTotal
    }
}
