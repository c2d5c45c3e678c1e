import Foundation

/// Where an objection stands.
public enum ObjectionStatus: String, Sendable, CaseIterable {
    /// Filed and awaiting a decision; processing is restricted meanwhile.
    case received
    /// Awaiting a decision past the first deadline, with the reason told to the member.
    case extended
    /// Accepted: the member's data is never used again.
    case upheld
    /// Refused with reasons: the member's previous state applies again.
    case rejected
    /// Upheld, and the member's data is gone from every registered dataset (after a purge).
    /// The member stays excluded for good, as when upheld.
    case completed

    /// Whether a decision is still owed.
    public var isPending: Bool { self == .received || self == .extended }
}

/// The privacy team's answer to an objection.
public enum ObjectionOutcome: String, Sendable, CaseIterable {
    case uphold
    case reject
}

/// One step in an objection's life; the store keeps these append-only.
public enum ObjectionEvent: Sendable, Equatable {
    case received(at: Date, due: Date, reason: String?)
    case extended(at: Date, days: Int, due: Date, reason: String)
    case decided(at: Date, outcome: ObjectionOutcome, reason: String)
    /// The upheld objection's data removal is done; `reason` says what was purged.
    case completed(at: Date, reason: String)

    public var at: Date {
        switch self {
        case .received(let at, _, _), .extended(let at, _, _, _), .decided(let at, _, _), .completed(let at, _): at
        }
    }

    /// The status an objection has right after this event.
    public var resultingStatus: ObjectionStatus {
        switch self {
        case .received: .received
        case .extended: .extended
        case .decided(_, .uphold, _): .upheld
        case .decided(_, .reject, _): .rejected
        case .completed: .completed
        }
    }
}

/// A Data Processing Objection: a member asks that their data no longer be used, and that
/// data already used be removed. A non-member may object too (their data may be in what members
/// posted): then `member` is nil and `identifiers` say what the privacy team should look for.
///
/// A pure state machine: `received` → `upheld` | `rejected`, with one `extended` step possible
/// while undecided, and `upheld` → `completed` once no dataset holds the member's data. Each transition returns a new value or throws
/// ``ConsentError/illegalTransition(objection:message:)``; the full timeline is kept.
public struct Objection: Sendable, Equatable {
    public let id: ObjectionID
    /// The member objecting; nil for a non-member's objection.
    public let member: MemberID?
    /// Where the member wants to be told of each step (the platform's mailer sends it); always
    /// set for a non-member, whose address was verified.
    public let contactEmail: String?
    /// For a non-member: what identifies their data (names, profile or post URLs). Empty for members.
    public let identifiers: [String]
    /// The language the person objected in (`en`, `de`, `fr`: the page's or the app's), in
    /// which every message about the objection is written to them and the privacy team's
    /// prefilled answers are offered. Not part of the verifiable record: it decides nothing.
    public let language: String
    /// Every event, oldest first; never empty, the first is `.received`.
    public private(set) var timeline: [ObjectionEvent]

    /// Files a new objection, due `terms.response` after receipt.
    public static func file(id: ObjectionID, member: MemberID, at instant: Date, reason: String?,
                            email: String? = nil, language: String = "en", terms: ObjectionTerms) -> Objection {
        Objection(id: id, member: member, contactEmail: email, identifiers: [], language: language,
                  timeline: [received(at: instant, reason: reason, terms: terms)])
    }

    /// Files a non-member's objection once their email address was verified.
    public static func fileForNonMember(id: ObjectionID, email: String, identifiers: [String], at instant: Date,
                                        reason: String?, language: String = "en", terms: ObjectionTerms) -> Objection {
        Objection(id: id, member: nil, contactEmail: email, identifiers: identifiers, language: language,
                  timeline: [received(at: instant, reason: reason, terms: terms)])
    }

    private static func received(at instant: Date, reason: String?, terms: ObjectionTerms) -> ObjectionEvent {
        let due = terms.response.after(instant)
        let reason = reason.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        return .received(at: instant, due: due, reason: reason)
    }

    /// Rebuilds an objection from its stored timeline, checking every transition again.
    public static func replay(id: ObjectionID, member: MemberID?, contactEmail: String? = nil, identifiers: [String] = [],
                              language: String = "en", timeline: [ObjectionEvent]) throws -> Objection {
        guard case .received(let at, let due, let reason)? = timeline.first else {
            throw ConsentError.illegalTransition(objection: id, message: "the timeline does not start with its receipt")
        }
        var objection = Objection(id: id, member: member, contactEmail: contactEmail, identifiers: identifiers, language: language,
                                  timeline: [.received(at: at, due: due, reason: reason)])
        for event in timeline.dropFirst() {
            switch event {
            case .received:
                throw ConsentError.illegalTransition(objection: id, message: "received twice")
            case .extended(let at, let days, _, let reason):
                objection = try objection.extending(by: .days(days), reason: reason, at: at, maxExtension: .days(days))
            case .decided(let at, let outcome, let reason):
                objection = try objection.deciding(outcome, reason: reason, at: at)
            case .completed(let at, let reason):
                objection = try objection.completing(reason: reason, at: at)
            }
        }
        return objection
    }

    public var receivedAt: Date { timeline[0].at }

    /// The free-text reason the member gave, if any (never required).
    public var memberReason: String? {
        if case .received(_, _, let reason) = timeline[0] { return reason }
        return nil
    }

    /// The first deadline: receipt + the policy's response days.
    public var due: Date {
        if case .received(_, let due, _) = timeline[0] { return due }
        return receivedAt
    }

    /// The deadline after an extension, if there was one.
    public var extendedDue: Date? {
        for event in timeline { if case .extended(_, _, let due, _) = event { return due } }
        return nil
    }

    /// The deadline in force now.
    public var currentDue: Date { extendedDue ?? due }

    public var status: ObjectionStatus { timeline[timeline.count - 1].resultingStatus }

    /// The decision, once made.
    public var decision: (outcome: ObjectionOutcome, reason: String, at: Date)? {
        for event in timeline.reversed() {
            if case .decided(let at, let outcome, let reason) = event { return (outcome, reason, at) }
        }
        return nil
    }

    /// When the upheld objection's data removal finished, if it has.
    public var completedAt: Date? {
        if case .completed(let at, _)? = timeline.last { return at }
        return nil
    }

    /// The status at `instant`, or nil when the objection had not been filed yet.
    public func status(at instant: Date) -> ObjectionStatus? {
        var status: ObjectionStatus?
        for event in timeline where event.at <= instant { status = event.resultingStatus }
        return status
    }

    /// Extends the deadline once, before it passes, by `term` (counted from the first deadline),
    /// at most `maxExtension`, with a reason.
    public func extending(by term: Term, reason: String, at instant: Date, maxExtension: Term) throws -> Objection {
        guard status == .received else {
            throw illegal(status == .extended ? "it was already extended once; only one extension is allowed"
                                              : "it was already \(status.rawValue); only an undecided objection can be extended")
        }
        guard instant >= receivedAt else { throw illegal("an extension cannot predate the receipt (\(Timestamp.format(receivedAt)))") }
        guard instant < due else {
            throw illegal("the deadline \(Timestamp.format(due)) has passed; an extension must be made before it")
        }
        let newDue = term.after(due)
        let field = if case .months = term { "months" } else { "days" }
        guard term.count >= 1, newDue > due else {
            throw ConsentError.invalidField(field: field, message: "\(term.count) must be at least 1")
        }
        guard newDue <= maxExtension.after(due) else {
            throw ConsentError.outsidePolicy(field: field, message: """
                \(term.count) extends the deadline by more than \(maxExtension), the policy's max_extension: \
                at most until \(Timestamp.format(maxExtension.after(due)))
                """)
        }
        let reason = try Self.requiredReason(reason)
        return appending(.extended(at: instant, days: term.days(after: due), due: newDue, reason: reason))
    }

    /// Upholds or rejects a pending objection; a reason is always required.
    public func deciding(_ outcome: ObjectionOutcome, reason: String, at instant: Date) throws -> Objection {
        guard status.isPending else {
            throw illegal("it was already \(status.rawValue); a decision is final")
        }
        guard let last = timeline.last, instant >= last.at else {
            throw illegal("a decision cannot predate the objection's last event (\(Timestamp.format(timeline[timeline.count - 1].at)))")
        }
        let reason = try Self.requiredReason(reason)
        return appending(.decided(at: instant, outcome: outcome, reason: reason))
    }

    /// Marks an upheld objection done once its member's data is in no registered dataset.
    public func completing(reason: String, at instant: Date) throws -> Objection {
        guard status == .upheld else {
            throw illegal("it is \(status.rawValue); only an upheld objection is completed, once its data is purged")
        }
        guard let last = timeline.last, instant >= last.at else {
            throw illegal("completion cannot predate the decision (\(Timestamp.format(timeline[timeline.count - 1].at)))")
        }
        return appending(.completed(at: instant, reason: try Self.requiredReason(reason)))
    }

    private func appending(_ event: ObjectionEvent) -> Objection {
        var copy = self
        copy.timeline.append(event)
        return copy
    }

    private func illegal(_ message: String) -> ConsentError {
        .illegalTransition(objection: id, message: message)
    }

    private static func requiredReason(_ reason: String) throws -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw ConsentError.invalidField(field: "reason", message: "a reason is required and must not be blank")
        }
        return trimmed
    }
}
