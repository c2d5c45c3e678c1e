import Foundation

/// What decisions read of one member, as known at one moment: their latest facts, every
/// version of their facts when they have more than the latest, their ledger entries and their
/// objections. A ``DecisionSnapshot`` holds these for every member; a store can also hand them
/// over one member at a time (``ConsentStore/reduceMembers(knownAt:into:_:)``), where holding
/// every member would cost more than deciding about them.
public struct MemberInputs: Sendable {
    /// The latest facts.
    public var latest: Member
    /// Every version of the facts in record order, the last being ``latest``; empty when
    /// ``latest`` holds at every instant (one version, valid from the beginning).
    public var versions: [MemberVersion]
    /// The ledger entries in (time, append) order.
    public var entries: ArraySlice<ConsentHistory.Entry>
    public var objections: [Objection]

    @inlinable
    public init(latest: Member, versions: [MemberVersion] = [], entries: ArraySlice<ConsentHistory.Entry> = [],
                objections: [Objection] = []) {
        self.latest = latest
        self.versions = versions
        self.entries = entries
        self.objections = objections
    }

    /// The facts that hold at `instant`, nil when the member had none yet.
    @inlinable
    public func member(at instant: Date) -> Member? {
        versions.isEmpty ? latest : MemberVersion.inForce(at: instant, in: versions)
    }

    @inlinable
    public var history: ConsentHistory { ConsentHistory(sortedEntries: entries) }

    /// Whether the member may be used in training data made at `nowInstant` as of
    /// `thenInstant` (``use(then:now:history:objections:asOf:at:now:at:)``).
    @inlinable
    public func use(asOf thenPolicy: Policy, at thenInstant: Date, now nowPolicy: Policy, at nowInstant: Date) -> TrainingUse {
        Self.use(then: member(at: thenInstant), now: member(at: nowInstant), history: history, objections: objections,
                 asOf: thenPolicy, at: thenInstant, now: nowPolicy, at: nowInstant)
    }

    /// The rule of a use, for inputs held anywhere (a snapshot's arrays, or one member's): the
    /// decision at each instant under the policy then, and the day from which the member's
    /// records may be used (the later minimum-age birthday of the two).
    @inlinable
    public static func use(then: Member?, now current: Member?, history: ConsentHistory, objections: [Objection],
                           asOf thenPolicy: Policy, at thenInstant: Date, now nowPolicy: Policy, at nowInstant: Date) -> TrainingUse {
        let thenComingOfAge = then?.birthDate?.comingOfAge(thenPolicy.minimumAge)
        let nowComingOfAge = current?.birthDate?.comingOfAge(nowPolicy.minimumAge)
        let usableFrom = switch (thenComingOfAge, nowComingOfAge) {
        case (let a?, let b?): max(a, b)
        case (let a, let b): a ?? b
        }
        return TrainingUse(asOf: decide(then, history: history, objections: objections, policy: thenPolicy, at: thenInstant),
                           now: decide(current, history: history, objections: objections, policy: nowPolicy, at: nowInstant),
                           usableFrom: usableFrom)
    }
}
