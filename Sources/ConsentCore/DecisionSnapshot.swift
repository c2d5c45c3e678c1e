import Foundation

/// Everything decisions read, for every member, as known at one moment (now, unless the store
/// was asked for an earlier one), held in memory: members sorted by id with their latest facts,
/// the earlier versions of the few members whose facts changed, their ledger entries in one flat
/// array, and their objections. A snapshot decides at any instant: only what was valid or
/// happened at or before the instant counts.
///
/// Loading is the store's job; deciding from a snapshot allocates nothing per member.
public struct DecisionSnapshot: Sendable {
    /// Sorted by id (UTF-8 byte order); each member's latest facts.
    public private(set) var members: [Member] = []
    /// Member index → every version of that member's facts in record order, for members with
    /// more than one or with one that is not valid from the beginning. Absent: `members[i]`
    /// holds at every instant.
    public private(set) var versions: [Int: [MemberVersion]] = [:]
    /// Every member's entries, member after member, each member's in (time, append) order.
    public private(set) var entries: [ConsentHistory.Entry] = []
    /// `entryStarts[i] ..< entryStarts[i + 1]` are member `i`'s entries.
    public private(set) var entryStarts: [Int] = [0]
    /// Member index → that member's objections (most members have none).
    public private(set) var objections: [Int: [Objection]] = [:]

    public init() {}

    /// Appends the next member, in id order, with their entries in ledger order.
    public mutating func append(_ member: Member, entries memberEntries: some Sequence<ConsentHistory.Entry>) {
        precondition(members.last.map { $0.id < member.id } ?? true, "members must be appended in id order")
        members.append(member)
        entries.append(contentsOf: memberEntries)
        entryStarts.append(entries.count)
    }

    /// Gives the member at `index` the versions of their facts (in record order, the last being
    /// `members[index]`).
    public mutating func attach(versions memberVersions: [MemberVersion], toMemberAt index: Int) {
        precondition(memberVersions.last?.member == members[index], "the last version must be the member's latest facts")
        versions[index] = memberVersions
    }

    /// The facts of the member at `index` that hold at `instant`, nil when they had none yet.
    @inlinable
    public func member(at index: Int, instant: Date) -> Member? {
        guard !versions.isEmpty, let memberVersions = versions[index] else { return members[index] }
        return MemberVersion.inForce(at: instant, in: memberVersions)
    }

    /// Appends the next member, in id order, with everything decisions read of them.
    public mutating func append(_ inputs: MemberInputs) {
        append(inputs.latest, entries: inputs.entries)
        if !inputs.versions.isEmpty { attach(versions: inputs.versions, toMemberAt: members.count - 1) }
        for objection in inputs.objections { attach(objection, toMemberAt: members.count - 1) }
    }

    /// Attaches an objection to the member at `index`.
    public mutating func attach(_ objection: Objection, toMemberAt index: Int) {
        objections[index, default: []].append(objection)
    }

    public mutating func reserveCapacity(members memberCount: Int, entries entryCount: Int) {
        members.reserveCapacity(memberCount)
        entryStarts.reserveCapacity(memberCount + 1)
        entries.reserveCapacity(entryCount)
    }

    public var count: Int { members.count }

    /// The position of `id`, by binary search.
    public func index(of id: MemberID) -> Int? {
        var low = 0, high = members.count
        while low < high {
            let mid = (low + high) / 2
            if members[mid].id < id { low = mid + 1 } else { high = mid }
        }
        return low < members.count && members[low].id == id ? low : nil
    }

    public func history(at index: Int) -> ConsentHistory {
        ConsentHistory(sortedEntries: entries[entryStarts[index]..<entryStarts[index + 1]])
    }

    /// What decisions read of the member at `index`.
    @inlinable
    public func inputs(at index: Int) -> MemberInputs {
        MemberInputs(latest: members[index], versions: versions.isEmpty ? [] : versions[index] ?? [],
                     entries: entries[entryStarts[index]..<entryStarts[index + 1]], objections: objections(at: index))
    }

    /// The decision for the member at `index`. (Read from the arrays in place, not through
    /// ``inputs(at:)``: copying them out per member halved the rate of deciding a snapshot.)
    @inlinable
    public func decision(at index: Int, policy: Policy, instant: Date) -> Decision {
        decide(member(at: index, instant: instant), history: history(at: index), objections: objections(at: index), policy: policy, at: instant)
    }

    /// Whether the member at `index` may be used in training data made now as of `asOf`.
    @inlinable
    public func use(at index: Int, asOf: (policy: Policy, instant: Date), now: (policy: Policy, instant: Date)) -> TrainingUse {
        use(at: index, asOf: asOf.policy, at: asOf.instant, now: now.policy, at: now.instant)
    }

    /// The same, each policy with its instant.
    @inlinable
    public func use(at index: Int, asOf thenPolicy: Policy, at thenInstant: Date, now nowPolicy: Policy, at nowInstant: Date) -> TrainingUse {
        MemberInputs.use(then: member(at: index, instant: thenInstant), now: member(at: index, instant: nowInstant), history: history(at: index),
                         objections: objections(at: index), asOf: thenPolicy, at: thenInstant, now: nowPolicy, at: nowInstant)
    }

    @usableFromInline
    func objections(at index: Int) -> [Objection] { objections.isEmpty ? [] : objections[index] ?? [] }

    /// Calls `body` with each member's index and decision, in id order.
    @inlinable
    public func forEachDecision(policy: Policy, instant: Date, _ body: (Int, Decision) throws -> Void) rethrows {
        for index in 0..<members.count {
            try body(index, decision(at: index, policy: policy, instant: instant))
        }
    }
}
