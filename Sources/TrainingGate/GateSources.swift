import ConsentCore
import Foundation

/// Where a filter's decisions come from: the store's decision snapshot, a snapshot file, or a
/// plain exclusions list.
public enum GateSources {
    /// Decisions from the store, at `asOf`, under the active policy.
    public static func decisions(from snapshot: DecisionSnapshot, version: PolicyVersion, asOf: Date) -> GateDecisions {
        var loader = MemberTable.Loader(expectedCount: snapshot.count)
        let policy = version.policy
        snapshot.forEachDecision(policy: policy, instant: asOf) { index, decision in
            let member = snapshot.members[index]
            loader.add(member.id.rawValue, GateVerdict(member: member, decision: decision, minimumAge: policy.minimumAge))
        }
        return GateDecisions(table: loader.finish(), unknownIsEligible: false, asOf: asOf, lookbackStart: policy.lookbackStart,
                             policyVersion: policy.version, policySHA256: version.sha256, source: "db")
    }

    /// A list of excluded ids, one per line (as `consentry exclusions` prints): a listed id is
    /// dropped as `excluded`, any other kept. Empty lines are skipped; a trailing CR is ignored.
    public static func exclusions(path: String, asOf: Date) throws -> GateDecisions {
        let mapping = try FileMapping(path: path)
        var loader = MemberTable.Loader(expectedCount: max(1024, mapping.count / 8))
        var start = 0
        var line = 0
        let base = mapping.bytes
        while start < mapping.count {
            line += 1
            var end = start
            while end < mapping.count, base[end] != 0x0A { end += 1 }
            var last = end
            if last > start, base[last - 1] == 0x0D { last -= 1 }
            if last > start {
                let id = UnsafeRawBufferPointer(start: base + start, count: last - start)
                guard MemberID(String(decoding: id, as: UTF8.self)) != nil else {
                    throw GateError.badSource(path, "line \(line) is not a member id (1 to 256 bytes, no control characters)")
                }
                loader.add(id, GateVerdict(drop: .excluded))
            }
            start = end + 1
        }
        return GateDecisions(table: loader.finish(), unknownIsEligible: true, asOf: asOf, lookbackStart: nil,
                             policyVersion: nil, policySHA256: nil, source: "exclusions " + path)
    }
}
