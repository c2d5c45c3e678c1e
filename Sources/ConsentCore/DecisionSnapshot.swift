import Foundation

/// Everything decisions read, for every member, held in memory: members sorted by id, their
/// ledger entries in one flat array, and their objections.
///
/// Loading is the store's job; deciding from a snapshot allocates nothing per member.
public struct DecisionSnapshot: Sendable {
    /// Sorted by id (UTF-8 byte order).
    public private(set) var members: [Member] = []
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

    /// The decision for the member at `index`.
    @inlinable
    public func decision(at index: Int, policy: Policy, instant: Date) -> Decision {
        decide(members[index], history: history(at: index), objections: objections[index] ?? [],
               policy: policy, at: instant)
    }

    /// Calls `body` with each member's index and decision, in id order.
    @inlinable
    public func forEachDecision(policy: Policy, instant: Date, _ body: (Int, Decision) throws -> Void) rethrows {
        for index in 0..<members.count {
            try body(index, decision(at: index, policy: policy, instant: instant))
        }
    }

    /// Every member's decision, counted by reason and region.
    public func summary(policy: Policy, instant: Date) -> DecisionSummary {
        var summary = DecisionSummary()
        forEachDecision(policy: policy, instant: instant) { _, decision in summary.add(decision, policy: policy) }
        return summary
    }
}
