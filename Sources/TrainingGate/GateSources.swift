import ConsentCore
import ConsentFormats
import Foundation

/// Where a filter's decisions come from: the store's decision snapshot, a snapshot file, or a
/// plain exclusions list.
public enum GateSources {
    /// Decisions from the store: a member is kept only when eligible at `asOf` and at `now`
    /// (the moment the store is read), each under the policy in force then; the drop reason is
    /// the one at `asOf` when it excludes, else the one now. The look-back start is the later of
    /// the two policies'. `thirdParty`: the store's objections from people who are not members
    /// (``ThirdPartyObjection/applying(_:)``), whose records are dropped too.
    ///
    /// The table is built while the members are read (``ConsentStore/reduceMembers(knownAt:into:_:)``):
    /// nothing of a member is held beyond their verdict.
    public static func decisions(from store: some ConsentStore, asOf: Date?, now: Date, thirdParty: [ThirdPartyObjection] = []) async throws -> GateDecisions {
        // A view that holds no member: the policies and the terms, by the same rules as any view.
        // To the microsecond, as stores and files keep instants.
        let view = DecisionView(timeline: try await store.policyTimeline(), snapshot: DecisionSnapshot(),
                                moment: Timestamp.fromMicroseconds(Timestamp.microseconds(now)))
        let asOf = asOf ?? now
        let version = try view.policy(at: asOf), nowPolicy = try view.policy(at: view.moment).policy
        let terms = try view.recordTerms(asOf: asOf)
        let moment = view.moment
        let loader = try await store.reduceMembers(knownAt: nil, into: MemberTable.Loader(expectedCount: 1 << 16)) { loader, member in
            loader.add(member.latest.id.rawValue, GateVerdict(member.use(asOf: version.policy, at: asOf, now: nowPolicy, at: moment)))
        }
        return GateDecisions(table: loader.finish(), unknownIsEligible: false, asOf: asOf, lookbackStart: terms.windowStart,
                             minimumAge: terms.minimumAge, allowedCategories: terms.categories, thirdParty: thirdParty,
                             policyVersion: version.policy.version, policySHA256: version.sha256, decidedAt: moment, source: "db")
    }

    /// Categories as a header writes them: comma-separated, in byte order.
    static func list(_ categories: Set<Category>) -> String {
        categories.map(\.rawValue).sorted().joined(separator: ",")
    }

    /// A list of excluded ids, one per line (as `consentry exclusions` prints): a listed id is
    /// dropped as `excluded`, any other kept. Empty lines are skipped; a trailing CR is ignored.
    /// A signed list (`consentry exclusions --signed`) is checked first: with `verifier`, only a
    /// list signed by that key is accepted, and a plain one is refused.
    /// An exclusions list holds no policy: `policy` (the one the list was made under, `--policy
    /// FILE`) gives the categories records may be of, the look-back start and the minimum age;
    /// without it, none is known. A plain list made by `consentry exclusions --minors-in-window`
    /// starts with the line ``MinorsInWindow/line(since:)``: it also lists every member who was
    /// under the minimum age in the window, which a list with no birth dates needs.
    public static func exclusions(path: String, asOf: Date, verifier: NoteVerifier? = nil, policy: Policy? = nil) throws -> GateDecisions {
        let categories = policy.map { RecordTerms(then: $0, now: $0).categories }
        let mapping = try FileMapping(path: path)
        let magic = Array(SignedExclusions.magic.utf8)
        if mapping.count >= magic.count, memcmp(mapping.bytes, magic, magic.count) == 0 {
            let opened: SignedExclusions.Opened
            do {
                opened = try SignedExclusions.open(UnsafeBufferPointer(start: mapping.bytes, count: mapping.count), verifier: verifier)
            } catch let error as NoteError {
                throw GateError.badSource(path, "\(error)")
            }
            var loader = MemberTable.Loader(expectedCount: max(1024, opened.ids.count))
            for range in opened.ids where !range.isEmpty {
                loader.add(UnsafeRawBufferPointer(start: mapping.bytes + range.lowerBound, count: range.count), GateVerdict(drop: .excluded))
            }
            return GateDecisions(table: loader.finish(), unknownIsEligible: true, asOf: opened.asOf, lookbackStart: policy?.lookbackStart,
                                 minimumAge: policy?.minimumAge, allowedCategories: categories, policyVersion: policy?.version, policySHA256: nil, decidedAt: opened.decidedAt, source: "signed exclusions " + path)
        }
        if verifier != nil {
            throw GateError.badSource(path, "it is a plain list, not signed: --log-key accepts only a list made by `consentry exclusions --signed`")
        }
        var loader = MemberTable.Loader(expectedCount: max(1024, mapping.count / 8))
        var start = 0
        var minors: MinorsInWindow?
        var thirdParty: [ThirdPartyObjection] = []
        let header = Array(MinorsInWindow.prefix.utf8)
        if mapping.count >= header.count, memcmp(mapping.bytes, header, header.count) == 0 {
            var end = header.count
            while end < mapping.count, mapping.bytes[end] != 0x0A { end += 1 }
            let since = String(decoding: UnsafeBufferPointer(start: mapping.bytes + header.count, count: end - header.count), as: UTF8.self)
            guard since == "-" || Timestamp.parse(since) != nil else {
                throw GateError.badSource(path, "line 1 is not \(MinorsInWindow.prefix)T (an RFC 3339 instant, or -)")
            }
            minors = MinorsInWindow(since: since == "-" ? nil : Timestamp.parse(since))
            start = end + 1
            // Then the non-members' objections, one line each.
            let prefix = Array(ThirdPartyObjection.prefix.utf8)
            while start + prefix.count <= mapping.count, memcmp(mapping.bytes + start, prefix, prefix.count) == 0 {
                var lineEnd = start
                while lineEnd < mapping.count, mapping.bytes[lineEnd] != 0x0A { lineEnd += 1 }
                let text = String(decoding: UnsafeBufferPointer(start: mapping.bytes + start, count: lineEnd - start), as: UTF8.self)
                guard let objection = ThirdPartyObjection.parse(headerLine: Substring(text)) else {
                    throw GateError.badSource(path, "a third_party line is not an objection id and a JSON array of identifiers")
                }
                thirdParty.append(objection)
                start = lineEnd + 1
            }
        }
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
        return GateDecisions(table: loader.finish(), unknownIsEligible: true, asOf: asOf, lookbackStart: policy?.lookbackStart,
                             minimumAge: policy?.minimumAge, minorsListed: minors, allowedCategories: categories, thirdParty: thirdParty, policyVersion: policy?.version, policySHA256: nil, source: "exclusions " + path)
    }
}
