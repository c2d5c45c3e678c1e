import ConsentCore
import ConsentFormats
import Foundation

// The request and response bodies of the objection routes, as `/openapi.yaml` describes them.

// MARK: Requests

/// `POST /api/v1/me/email-verification`: `{"code"}`.
struct CodeBody: RequestBody {
    let code: String
    enum CodingKeys: String, CodingKey, CaseIterable { case code }
    static let example = #"{"code": "12345678"}"#
}

/// `POST /api/v1/me/objections`: `{"reason"?, "email"?}`.
struct NewObjection: RequestBody {
    let reason: String?
    let email: String?
    enum CodingKeys: String, CodingKey, CaseIterable { case reason, email }
    static let example = #"{"reason": "optional", "email": "optional"}"#
    static let nullable: Set<String> = ["reason", "email"]
}

/// `POST /objections/public`: `{"email", "identifiers"?, "reason"?}`.
struct PublicObjection: RequestBody {
    let email: String
    let identifiers: [String]?
    let reason: String?
    enum CodingKeys: String, CodingKey, CaseIterable { case email, identifiers, reason }
    static let example = #"{"email": "you@example.com", "identifiers": ["https://…/post/123"]}"#
    static let nullable: Set<String> = ["reason"]
}

/// `POST /objections/public/verify`: `{"request", "code"}`.
struct PublicVerification: RequestBody {
    let request: String
    let code: String
    enum CodingKeys: String, CodingKey, CaseIterable { case request, code }
    static let example = #"{"request": "req_…", "code": "12345678"}"#
}

/// `POST /api/v1/admin/objections/{id}/extension`: `{"days" | "months", "reason"}`.
struct Extension: RequestBody {
    let days: Int?
    let months: Int?
    let reason: String
    enum CodingKeys: String, CodingKey, CaseIterable { case days, months, reason }
    static let example = #"{"months": 2, "reason": "…"}"#
}

/// `POST /api/v1/admin/objections/{id}/decision`: `{"decision": "uphold" | "reject", "reason"}`.
struct DecisionBody: RequestBody {
    let decision: String
    let reason: String
    enum CodingKeys: String, CodingKey, CaseIterable { case decision, reason }
    static let example = #"{"decision": "uphold", "reason": "…"}"#
}

// MARK: Responses

/// `{"items": [...]}`.
struct Items<Item: Encodable>: Encodable {
    let items: [Item]
}

/// `{"email", "verified": true}`.
struct VerifiedEmail: Encodable {
    let email: String
    let verified: Bool
}

/// A non-member's request, waiting for its code: `{"email", "expires_at", "next", "request"}`.
struct RequestAccepted: Encodable {
    let request: String
    let email: String
    let expiresAt: Date
    let next: String

    init(_ asked: ObjectionRequest) {
        request = asked.id
        email = asked.email
        expiresAt = asked.expiresAt
        next = "We sent a code to \(asked.email). Send it with this request id to /objections/public/verify within an hour to file your objection."
    }

    enum CodingKeys: String, CodingKey {
        case request, email, next
        case expiresAt = "expires_at"
    }
}

/// An objection as its member sees it: ``ObjectionBody`` with `email_verified` and, once
/// upheld and asked for one objection, `data_removal` (the datasets and models that held them).
struct MemberObjectionBody: Encodable {
    let objection: ObjectionBody
    @Nullable var emailVerified: Bool?
    let dataRemoval: InclusionBody?

    /// `verified`: the member's verified addresses, normalised.
    init(_ objection: Objection, lineage: MemberLineage?, verified: Set<String>) {
        self.objection = ObjectionBody(objection)
        emailVerified = ObjectionDesk.emailVerified(objection, verified: verified)
        dataRemoval = InclusionBody(lineage, member: objection.member)
    }

    enum CodingKeys: String, CodingKey {
        case emailVerified = "email_verified", dataRemoval = "data_removal"
    }

    func encode(to encoder: any Encoder) throws {
        try objection.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(_emailVerified, forKey: .emailVerified)
        try container.encodeIfPresent(dataRemoval, forKey: .dataRemoval)
    }
}

/// A row of the privacy team's queue: ``ObjectionBody`` with `days_left`, `overdue` and the
/// member's `region`.
struct QueueItemBody: Encodable {
    let objection: ObjectionBody
    @Nullable var daysLeft: Int?
    let overdue: Bool
    @Nullable var region: String?

    init(_ item: ObjectionDesk.QueueItem) {
        objection = ObjectionBody(item.objection)
        daysLeft = item.daysLeft
        overdue = item.isOverdue
        region = item.region
    }

    enum CodingKeys: String, CodingKey {
        case overdue, region
        case daysLeft = "days_left"
    }

    func encode(to encoder: any Encoder) throws {
        try objection.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(_daysLeft, forKey: .daysLeft)
        try container.encode(overdue, forKey: .overdue)
        try container.encode(_region, forKey: .region)
    }
}

/// One objection for the privacy team: a queue row with the member's decision now, their
/// choices and, once upheld, `data_removal` (absent until then).
struct ObjectionDetailBody: Encodable {
    let item: QueueItemBody
    @Nullable var memberDecision: MemberDecision?
    let choices: [LedgerEntryBody]
    let dataRemoval: InclusionBody?

    struct MemberDecision: Encodable, Sendable {
        let eligible: Bool
        let reason: String
        @Nullable var explanation: String?
    }

    init(_ detail: ObjectionDesk.Detail) {
        item = QueueItemBody(detail.item)
        memberDecision = detail.decision.map { MemberDecision(eligible: $0.eligible, reason: $0.reason.rawValue, explanation: detail.explanation) }
        choices = detail.choices.map(LedgerEntryBody.init)
        dataRemoval = InclusionBody(detail.lineage, member: detail.item.objection.member)
    }

    enum CodingKeys: String, CodingKey {
        case choices
        case memberDecision = "member_decision", dataRemoval = "data_removal"
    }

    func encode(to encoder: any Encoder) throws {
        try item.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(_memberDecision, forKey: .memberDecision)
        try container.encode(choices, forKey: .choices)
        try container.encodeIfPresent(dataRemoval, forKey: .dataRemoval)
    }
}

extension InclusionBody {
    /// An upheld objection's `data_removal`: nil until there is a lineage, or for a non-member.
    init?(_ lineage: MemberLineage?, member: MemberID?) {
        guard let lineage, let member else { return nil }
        self.init(lineage, member: member)
    }
}
