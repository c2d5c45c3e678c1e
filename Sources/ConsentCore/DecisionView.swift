import Foundation

/// Everything needed to answer about any instant as known at one moment: the policy timeline
/// and every member's facts, choices and objections recorded by then.
///
/// The time rules, in one place:
/// - a decision at instant T uses the policy in force at T, the member's facts valid at T, and
///   the choices and objection events at or before T, as known at the view's moment;
/// - a use (data going into training) is a use at the view's moment: the member must be
///   eligible at T and at that moment (``TrainingUse``).
public struct DecisionView: Sendable {
    /// The activations made by ``moment``.
    public let timeline: PolicyTimeline
    public let snapshot: DecisionSnapshot
    /// What the view knows: now (when it was read), or the earlier moment it was asked for.
    public let moment: Date

    public init(timeline: PolicyTimeline, snapshot: DecisionSnapshot, moment: Date) {
        self.timeline = timeline
        self.snapshot = snapshot
        self.moment = moment
    }

    /// The policy in force at `instant`; throws when none was ever applied (by the view's moment).
    public func policy(at instant: Date) throws -> PolicyVersion {
        guard let version = timeline.version(at: instant) else { throw ConsentError.noActivePolicy }
        return version
    }

    /// Calls `body` with the index and decision at `instant` of each member who was one then
    /// (whose facts were valid at `instant`), in id order.
    public func forEachDecision(at instant: Date, _ body: (Int, Decision) throws -> Void) throws {
        let policy = try policy(at: instant).policy
        for index in 0..<snapshot.count where snapshot.member(at: index, instant: instant) != nil {
            try body(index, snapshot.decision(at: index, policy: policy, instant: instant))
        }
    }

    /// Every decision at `instant`, counted by reason and region, under the policy then.
    public func summary(at instant: Date) throws -> DecisionSummary {
        let policy = try policy(at: instant).policy
        var summary = DecisionSummary()
        try forEachDecision(at: instant) { _, decision in summary.add(decision, policy: policy) }
        return summary
    }

    /// Calls `body` with each member's index and use as of `asOf`, in id order.
    public func forEachUse(asOf: Date, _ body: (Int, TrainingUse) throws -> Void) throws {
        let thenPolicy = try policy(at: asOf).policy, nowPolicy = try policy(at: moment).policy
        // The policies are passed on their own, not in a tuple: a tuple's policy was copied
        // (a retain of each of its arrays and strings) once per member.
        for index in 0..<snapshot.count {
            try body(index, snapshot.use(at: index, asOf: thenPolicy, at: asOf, now: nowPolicy, at: moment))
        }
    }

    /// The record terms for data decided about at `asOf` and used at the view's moment.
    public func recordTerms(asOf: Date) throws -> RecordTerms {
        RecordTerms(then: try policy(at: asOf).policy, now: try policy(at: moment).policy)
    }

    /// The members whose data may not go into training made at the view's moment as of `asOf`,
    /// in id order: what exclusion lists hold. With `minorsInWindow`, also every member who was
    /// under the minimum age at some time in the window: a
    /// list cannot tell their records from then apart, so none of theirs may be used
    /// (``RecordTerms/windowStart``).
    public func unusableMembers(asOf: Date, minorsInWindow: Bool = false) throws -> [MemberID] {
        let start = try recordTerms(asOf: asOf).windowStart.map(Timestamp.microseconds)
        var ids: [MemberID] = []
        try forEachUse(asOf: asOf) { index, use in
            if !use.usable || (minorsInWindow && RecordRules.minorInWindow(GateVerdict(use), windowStartMicros: start)) {
                ids.append(snapshot.members[index].id)
            }
        }
        return ids
    }

    /// The decision at `instant` for `id`: member_unknown when the view does not hold them.
    public func decision(for id: MemberID, at instant: Date) throws -> Decision {
        let policy = try policy(at: instant).policy
        guard let index = snapshot.index(of: id) else { return decide(nil, history: .empty, objections: [], policy: policy, at: instant) }
        return snapshot.decision(at: index, policy: policy, instant: instant)
    }

    /// The use as of `asOf` for `id`: member_unknown (at both instants) when the view does not hold them.
    public func use(for id: MemberID, asOf: Date) throws -> TrainingUse {
        let thenPolicy = try policy(at: asOf).policy, nowPolicy = try policy(at: moment).policy
        guard let index = snapshot.index(of: id) else {
            let unknown = Decision(reason: .memberUnknown, regionIndex: nil)
            return TrainingUse(asOf: unknown, now: unknown)
        }
        return snapshot.use(at: index, asOf: thenPolicy, at: asOf, now: nowPolicy, at: moment)
    }
}

extension ConsentStore {
    /// The view of everything as known at `knownAt`, or now (`now`) when nil; only `members`
    /// when given.
    public func decisionView(knownAt: Date? = nil, members: [MemberID]? = nil, now: Date) async throws -> DecisionView {
        let timeline = try await policyTimeline()
        let snapshot = if let members {
            try await decisionSnapshot(knownAt: knownAt, members: members)
        } else {
            try await decisionSnapshot(knownAt: knownAt)
        }
        // To the microsecond, as stores and files keep instants: what a view says is reproducible.
        let moment = Timestamp.fromMicroseconds(Timestamp.microseconds(knownAt ?? now))
        return DecisionView(timeline: knownAt.map(timeline.known(at:)) ?? timeline, snapshot: snapshot, moment: moment)
    }
}

/// A member's decisions over time, as spans: each starts at the instant the decision became
/// what it is, and lasts until the next one starts.
public enum DecisionHistory {
    /// `decisions` in time order, with each run of the same reason (and region) kept once, at
    /// its first instant.
    public static func spans(_ decisions: [(at: Date, decision: Decision)]) -> [(from: Date, decision: Decision)] {
        var spans: [(from: Date, decision: Decision)] = []
        for (at, decision) in decisions.sorted(by: { $0.at < $1.at }) where spans.last?.decision != decision {
            spans.append((at, decision))
        }
        return spans
    }
}
