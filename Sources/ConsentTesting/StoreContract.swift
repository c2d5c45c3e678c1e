import ConsentCore
import ConsentFormats
import Foundation

/// A failed expectation in the store contract, with where it was made.
public struct ContractFailure: Error, CustomStringConvertible {
    public var message: String
    public var file: String
    public var line: Int

    public var description: String { "\(file):\(line): \(message)" }
}

/// What every ``ConsentStore`` must do, written once and run against each backend
/// (SQLite on every run, PostgreSQL where a server is available).
///
/// Each check gets a fresh, empty store from the caller's factory.
public enum StoreContract {
    public typealias Check = @Sendable (any ConsentStore) async throws -> Void

    /// The checks by name, for a parameterised test.
    public static let checks: [(name: String, run: Check)] = [
        ("policyVersionsAreKeptAndTheLatestIsActive", policyVersionsAreKeptAndTheLatestIsActive),
        ("aReusedPolicyVersionWithOtherContentIsRefused", aReusedPolicyVersionWithOtherContentIsRefused),
        ("memberImportIsAllOrNothing", memberImportIsAllOrNothing),
        ("skipInvalidImportsTheGoodLinesAndReportsTheBad", skipInvalidImportsTheGoodLinesAndReportsTheBad),
        ("reimportingAMemberUpdatesIt", reimportingAMemberUpdatesIt),
        ("choicesAppendInOrderAndUnknownMembersAreRefused", choicesAppendInOrderAndUnknownMembersAreRefused),
        ("consentImportNamesTheLineOfAnUnknownMember", consentImportNamesTheLineOfAnUnknownMember),
        ("largeImportsKeepFileOrderAndTheLastLineWins", largeImportsKeepFileOrderAndTheLastLineWins),
        ("textIsStoredExactlyAsGiven", textIsStoredExactlyAsGiven),
        ("aSnapshotHoldsWhatWasRecordedByItsMoment", aSnapshotHoldsWhatWasRecordedByItsMoment),
        ("memberFactsAreVersionedInTwoKindsOfTime", memberFactsAreVersionedInTwoKindsOfTime),
        ("thePolicyTimelineSaysWhichVersionWasInForceWhen", thePolicyTimelineSaysWhichVersionWasInForceWhen),
        ("aSnapshotOfSomeMembersMatchesTheFullSnapshot", aSnapshotOfSomeMembersMatchesTheFullSnapshot),
        ("objectionsMoveOnlyAlongLegalTransitions", objectionsMoveOnlyAlongLegalTransitions),
        ("everyWriteExtendsAVerifiableAuditChain", everyWriteExtendsAVerifiableAuditChain),
        ("theLogSaysWhoseFactsChanged", theLogSaysWhoseFactsChanged),
        ("anIdempotencyKeyWritesOnce", anIdempotencyKeyWritesOnce),
        ("concurrentWritesAreEachRecordedOnceInOrderAndFailAlone", concurrentWritesAreEachRecordedOnceInOrderAndFailAlone),
    ]

    static let t0 = Timestamp.parse("2025-12-01T00:00:00Z")!

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String,
                       file: String = #fileID, line: Int = #line) throws {
        if !condition { throw ContractFailure(message: message(), file: file, line: line) }
    }

    static func expectThrows<T>(_ expected: (ConsentError) -> Bool, _ message: String, file: String = #fileID, line: Int = #line,
                                _ body: () async throws -> T) async throws {
        do {
            _ = try await body()
        } catch let error as ConsentError {
            try expect(expected(error), "\(message): got \(error)", file: file, line: line)
            return
        }
        throw ContractFailure(message: "\(message): nothing was thrown", file: file, line: line)
    }

    static func policy() throws -> PolicyVersion {
        try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "examples/policy.yaml")
    }

    public static func lines<R>(_ records: [R]) -> [ImportLine<R>] {
        records.enumerated().map { ImportLine(line: $0.offset + 1, record: .success($0.element)) }
    }

    public static func member(_ id: String, country: String = "DE", born: String? = "1990-05-17") -> MemberRecord {
        MemberRecord(member: Member(id: MemberID(id)!, birthDate: born.flatMap { CivilDate(parsing: $0) },
                                    country: CountryCode(country)!),
                     data: [.accountName: "\"Ana\"", .accountLogin: "\"secret-hash\""])
    }

    static func seed(_ store: any ConsentStore, members ids: [String]) async throws {
        try await store.applyPolicy(try policy(), actor: "test")
        _ = try await store.importMembers(lines(ids.map { member($0) }), options: ImportOptions(source: "members.jsonl", actor: "test"))
    }

    // MARK: Checks

    static func policyVersionsAreKeptAndTheLatestIsActive(_ store: any ConsentStore) async throws {
        try expect(try await store.activePolicy() == nil, "a new store has no active policy")
        let first = try policy()
        try await store.applyPolicy(first, actor: "test")
        let second = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML.replacingOccurrences(of: "\"2025-11-03\"", with: "\"2026-01\"")
            .replacingOccurrences(of: "minimum_age: 18", with: "minimum_age: 19"), source: "p2")
        try await store.applyPolicy(second, actor: "test")
        let active = try await store.activePolicy()
        try expect(active?.policy.version == "2026-01" && active?.policy.minimumAge == 19, "the latest applied version is active")
        let old = try await store.policyVersion("2025-11-03")
        try expect(old?.policy == first.policy && old?.sha256 == first.sha256, "earlier versions are kept with their hash")
        try await store.applyPolicy(first, actor: "test")
        try expect(try await store.activePolicy()?.policy.version == "2025-11-03", "re-applying an earlier version activates it again")
    }

    static func aReusedPolicyVersionWithOtherContentIsRefused(_ store: any ConsentStore) async throws {
        try await store.applyPolicy(try policy(), actor: "test")
        let changed = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML.replacingOccurrences(of: "minimum_age: 18", with: "minimum_age: 16"),
                                          source: "changed")
        try await expectThrows({ if case .policyVersionConflict = $0 { true } else { false } }, "same version, other content") {
            try await store.applyPolicy(changed, actor: "test")
        }
        try expect(try await store.activePolicy()?.policy.minimumAge == 18, "the refused policy changed nothing")
    }

    static func memberImportIsAllOrNothing(_ store: any ConsentStore) async throws {
        try await store.applyPolicy(try policy(), actor: "test")
        let bad = ConsentError.invalidRecord(source: "m.jsonl", line: 2, field: "country", message: "bad")
        let input = [ImportLine(line: 1, record: .success(member("a"))), ImportLine(line: 2, record: .failure(bad)),
                     ImportLine(line: 3, record: .success(member("b")))]
        try await expectThrows({ $0 == bad }, "a bad line aborts the import") {
            try await store.importMembers(input, options: ImportOptions(source: "m.jsonl", actor: "test"))
        }
        try expect(try await store.member(MemberID("a")!) == nil, "nothing of an aborted import is written")
        try expect(try await store.decisionSnapshot().count == 0, "no member after an aborted import")
    }

    static func skipInvalidImportsTheGoodLinesAndReportsTheBad(_ store: any ConsentStore) async throws {
        try await store.applyPolicy(try policy(), actor: "test")
        let bad = ConsentError.invalidRecord(source: "m.jsonl", line: 2, field: "country", message: "bad")
        let input = [ImportLine(line: 1, record: .success(member("a"))), ImportLine(line: 2, record: .failure(bad)),
                     ImportLine(line: 3, record: .success(member("b")))]
        let skipped = SkippedLines()
        let report = try await store.importMembers(input, options: ImportOptions(source: "m.jsonl", actor: "test", skipInvalid: true,
                                                                                 onSkip: { skipped.add($0) }))
        try expect(report == ImportReport(read: 3, imported: 2, skipped: 1), "report counts: \(report)")
        try expect(skipped.errors == [bad], "the skipped line is reported")
        try expect(try await store.member(MemberID("b")!) != nil, "good lines are imported")
    }

    static func reimportingAMemberUpdatesIt(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["a"])
        try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .off, channel: .web, at: t0, actor: "a"))
        _ = try await store.importMembers(lines([member("a", country: "US", born: nil)]), options: ImportOptions(source: "m2", actor: "test"))
        let stored = try await store.member(MemberID("a")!)
        try expect(stored?.member.country == CountryCode("US") && stored?.member.birthDate == nil, "re-import replaces the facts")
        try expect(stored?.data[.accountLogin] == "\"secret-hash\"", "data of never-allowed categories is stored as imported")
        try expect(try await store.history(of: MemberID("a")!).count == 1, "re-import keeps the member's ledger")
    }

    static func choicesAppendInOrderAndUnknownMembersAreRefused(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["a"])
        let a = MemberID("a")!
        let first = try await store.recordChoice(ConsentEvent(member: a, choice: .off, channel: .web, at: t0, actor: "a"))
        let second = try await store.recordChoice(ConsentEvent(member: a, choice: .on, channel: .ios, at: t0, actor: "a"))
        try expect((first.sequence ?? 0) < (second.sequence ?? 0), "the ledger numbers events in append order")
        let history = try await store.history(of: a)
        try expect(history.map(\.choice) == [.off, .on] && history.map(\.channel) == [.web, .ios], "history in append order")
        let third = try await store.recordChoice(ConsentEvent(member: a, choice: .off, channel: .android, at: t0.addingTimeInterval(60), actor: "a"),
                                                 idempotencyKey: nil, returningFacts: true)
        let readAfter = try await store.facts(of: a)
        try expect(third.facts?.choices.last == third.event && third.facts == readAfter && readAfter?.choices.count == 3,
                   "a choice returns the member's facts after it when asked: \(String(describing: third.facts?.choices.count))")
        // 100 choices: more than a remote store reads inside the write's transaction (50), so
        // there they are read after the commit; the answer is the same.
        _ = try await store.importChoices(lines((0..<96).map { _ in ConsentEvent(member: a, choice: .on, channel: .import, at: t0, actor: "import") }),
                                          options: ImportOptions(source: "c.jsonl", actor: "import"))
        let hundredth = try await store.recordChoice(ConsentEvent(member: a, choice: .on, channel: .web, at: t0.addingTimeInterval(90), actor: "a"),
                                                     idempotencyKey: nil, returningFacts: true)
        let readThen = try await store.facts(of: a)
        try expect(hundredth.facts?.choices.count == 100 && hundredth.facts == readThen,
                   "a member with 100 choices gets them all from the write: \(String(describing: hundredth.facts?.choices.count))")
        _ = try await store.importChoices(lines((0..<900).map { _ in ConsentEvent(member: a, choice: .on, channel: .import, at: t0, actor: "import") }),
                                          options: ImportOptions(source: "c.jsonl", actor: "import"))
        let long = try await store.recordChoice(ConsentEvent(member: a, choice: .off, channel: .web, at: t0.addingTimeInterval(120), actor: "a"),
                                                idempotencyKey: nil, returningFacts: true)
        let everything = try await store.facts(of: a)
        try expect(long.facts == nil && everything?.choices.count == 1_001,
                   "a member with more than 1,000 choices gets no facts from the write; a read still has them all")
        try await expectThrows({ $0 == .unknownMember(MemberID("nobody")!) }, "a choice for an unknown member") {
            try await store.recordChoice(ConsentEvent(member: MemberID("nobody")!, choice: .off, channel: .web, at: t0, actor: "x"))
        }
        try await expectThrows({ if case .invalidField(field: "choice", _) = $0 { true } else { false } }, "gpc can only opt out") {
            try await store.recordChoice(ConsentEvent(member: a, choice: .on, channel: .gpc, at: t0, actor: "a"))
        }
    }

    static func consentImportNamesTheLineOfAnUnknownMember(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["a"])
        let events = [ConsentEvent(member: MemberID("a")!, choice: .off, channel: .web, at: t0, actor: "import"),
                      ConsentEvent(member: MemberID("ghost")!, choice: .off, channel: .web, at: t0, actor: "import")]
        try await expectThrows({ if case .invalidRecord("c.jsonl", 2, "member", _) = $0 { true } else { false } }, "unknown member in line 2") {
            try await store.importChoices(lines(events), options: ImportOptions(source: "c.jsonl", actor: "import"))
        }
        try expect(try await store.history(of: MemberID("a")!).isEmpty, "the aborted import wrote nothing")
    }

    /// Imports larger than any store's batch, with an id repeated across batches, first into an
    /// empty store and then into one that has members; then choices across batches with an
    /// unknown member skipped.
    static func largeImportsKeepFileOrderAndTheLastLineWins(_ store: any ConsentStore) async throws {
        try await store.applyPolicy(try policy(), actor: "test")
        var records = (0..<25_000).map { member("m\($0)") }
        records.append(member("m7", country: "US", born: nil))
        records.append(member("m20000", country: "FR"))
        var report = try await store.importMembers(lines(records), options: ImportOptions(source: "m.jsonl", actor: "test"))
        try expect(report == ImportReport(read: 25_002, imported: 25_002), "every line imported: \(report)")
        let m7 = try await store.member(MemberID("m7")!)
        try expect(m7?.member.country == CountryCode("US") && m7?.member.birthDate == nil, "the last line for an id wins")
        try expect(try await store.member(MemberID("m20000")!)?.member.country == CountryCode("FR"), "also across batches")
        try expect(try await store.member(MemberID("m0")!)?.member.country == CountryCode("DE"), "other members as imported")
        try expect(try await store.decisionSnapshot().count == 25_000, "one member per id")

        report = try await store.importMembers(lines([member("m7", country: "SE"), member("new"), member("m7", country: "NO")]),
                                               options: ImportOptions(source: "m2.jsonl", actor: "test"))
        try expect(report == ImportReport(read: 3, imported: 3), "second import: \(report)")
        try expect(try await store.member(MemberID("m7")!)?.member.country == CountryCode("NO"), "into a store with members, the last line wins")
        try expect(try await store.member(MemberID("new")!) != nil, "and new members are added")
        try expect(try await store.decisionSnapshot().count == 25_001, "one member per id after the second import")

        var events = (0..<25_000).map { index in
            ConsentEvent(member: MemberID("m\(index % 100)")!, choice: index % 2 == 0 ? .off : .on, channel: .import,
                         at: t0.addingTimeInterval(Double(index)), actor: "import")
        }
        // In the second of three batches: the parsing thread linked the audit entries of that
        // batch and the next as if no line would be refused, and both are linked again.
        events.insert(ConsentEvent(member: MemberID("ghost")!, choice: .off, channel: .import, at: t0, actor: "import"), at: 11_000)
        let skipped = SkippedLines()
        report = try await store.importChoices(lines(events), options: ImportOptions(source: "c.jsonl", actor: "import", skipInvalid: true,
                                                                                     onSkip: { skipped.add($0) }))
        try expect(report == ImportReport(read: 25_001, imported: 25_000, skipped: 1), "choices: \(report)")
        try expect(skipped.errors.count == 1 && { if case .invalidRecord("c.jsonl", 11_001, "member", _) = skipped.errors[0] { true } else { false } }(),
                   "the unknown member's line is named: \(skipped.errors)")
        let history = try await store.history(of: MemberID("m5")!)
        let sequences = history.compactMap(\.sequence)
        try expect(history.count == 250 && history.allSatisfy { $0.choice == .on } && sequences == sequences.sorted()
                   && history.map(\.at) == history.map(\.at).sorted(), "a member's choices in file order")
        let verification = try await store.verifyAuditChain()
        try expect(verification.entries == 1 + 25_002 + 3 + 25_000, "one audit entry per change: \(verification.entries)")
    }

    /// Backslashes, tabs, line breaks and other control characters survive every bulk path
    /// (PostgreSQL's COPY gives them meaning) and the audit chain still verifies.
    static func textIsStoredExactlyAsGiven(_ store: any ConsentStore) async throws {
        try await store.applyPolicy(try policy(), actor: "test")
        let actor = "ops\tteam\r\n\\N \\\u{01}end"
        var record = member("odd")
        record.data = [.profileHeadline: #""C:\\temp\t\"quoted\" \u0001""#, .accountName: #""Zoë \\N""#]
        _ = try await store.importMembers(lines([record]), options: ImportOptions(source: "odd\tname\n.jsonl", actor: actor))
        _ = try await store.importChoices(lines([ConsentEvent(member: MemberID("odd")!, choice: .off, channel: .import, at: t0, actor: actor)]),
                                          options: ImportOptions(source: "c.jsonl", actor: actor))
        try expect(try await store.member(MemberID("odd")!)?.data == record.data, "data text exactly as imported")
        try expect(try await store.history(of: MemberID("odd")!).map(\.actor) == [actor], "the ledger's actor exactly as given")
        var actors: [String] = []
        try await store.auditEntries(from: nil, to: nil) { actors.append($0.actor) }
        try expect(actors == ["test", actor, actor], "audit actors exactly as given: \(actors)")
        try expect(try await store.verifyAuditChain().entries == 3, "the chain verifies")
    }

    /// A moment strictly between the writes before and after it (the stores' clocks count microseconds).
    static func moment() async throws -> Date {
        try await Task.sleep(for: .milliseconds(3))
        let moment = Date()
        try await Task.sleep(for: .milliseconds(3))
        return moment
    }

    static func aSnapshotHoldsWhatWasRecordedByItsMoment(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["b", "a", "c"])
        let a = MemberID("a")!
        try await store.recordChoice(ConsentEvent(member: a, choice: .off, channel: .web, at: t0, actor: "a"))
        let k1 = try await moment()
        // Recorded after k1, about an earlier instant: known now, not at k1.
        try await store.recordChoice(ConsentEvent(member: a, choice: .on, channel: .web, at: t0.addingTimeInterval(-3600), actor: "a"))
        let objection = Objection.file(id: ObjectionID(rawValue: "obj_c"), member: MemberID("c")!, at: t0.addingTimeInterval(60),
                                       reason: nil, terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60))
        try await store.fileObjection(objection, actor: "c")
        _ = try await store.importMembers(lines([member("d")]), options: ImportOptions(source: "late.jsonl", actor: "test"))

        let then = try await store.decisionSnapshot(knownAt: k1)
        try expect(then.members.map(\.id.rawValue) == ["a", "b", "c"], "members sorted by id, only those recorded by k1")
        try expect(then.history(at: 0).entries.map(\.choice) == [.off] && then.objections.isEmpty, "only what was recorded by k1")
        let now = try await store.decisionSnapshot()
        try expect(now.members.map(\.id.rawValue) == ["a", "b", "c", "d"], "every member now")
        try expect(now.history(at: 0).entries.map(\.choice) == [.on, .off], "both choices now, in time order")
        try expect(now.objections[2]?.first?.id == objection.id, "the objection is attached to its member")
        let policy = try policy().policy
        try expect(now.decision(at: 0, policy: policy, instant: t0.addingTimeInterval(-1)).reason == .optedIn
                   && now.decision(at: 0, policy: policy, instant: t0).reason == .optedOut, "a snapshot decides at any instant")
        try expect(now.decision(at: 2, policy: policy, instant: t0).reason != .objectionPending
                   && now.decision(at: 2, policy: policy, instant: t0.addingTimeInterval(60)).reason == .objectionPending,
                   "an objection counts from its receipt")
        // A pass one member at a time sees what the snapshots hold, in the same order.
        for (knownAt, snapshot) in [(Optional(k1), then), (nil, now)] {
            let passed = try await store.reduceMembers(knownAt: knownAt, into: [String]()) { seen, member in
                seen.append("\(member.latest.id.rawValue) \(member.entries.map(\.choice.rawValue)) \(member.objections.map(\.id.rawValue))")
            }
            let held = (0..<snapshot.count).map { index in
                "\(snapshot.members[index].id.rawValue) \(snapshot.history(at: index).entries.map(\.choice.rawValue)) \((snapshot.objections[index] ?? []).map(\.id.rawValue))"
            }
            try expect(passed == held, "reduceMembers(knownAt: \(knownAt.map(Timestamp.format) ?? "nil")) passes \(passed), the snapshot holds \(held)")
        }
    }

    static func memberFactsAreVersionedInTwoKindsOfTime(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["a", "b"])
        let (a, b) = (MemberID("a")!, MemberID("b")!)
        let k1 = try await moment()
        // A change (valid from now) and a re-import of the same facts (no new version).
        _ = try await store.importMembers(lines([member("a", country: "FR"), member("b")]), options: ImportOptions(source: "again.jsonl", actor: "test"))
        var versions = try await store.memberVersions(of: a)
        try expect(versions.map(\.member.country.description) == ["DE", "FR"] && versions[0].validFrom == nil
                   && versions[1].validFrom == versions[1].recordedAt && versions[1].recordedAt > k1,
                   "a change is a version valid from when it was recorded: \(versions)")
        try expect(try await store.memberVersions(of: b).count == 1, "the same facts again are no new version")
        try expect(try await store.member(a)?.member.country.description == "FR", "the member's latest facts")
        let k2 = try await moment()
        // A correction of the past: the birth date was always wrong.
        var corrected = member("a", country: "FR", born: "2015-01-01")
        corrected.validFrom = t0.addingTimeInterval(-86_400 * 365)
        _ = try await store.importMembers(lines([corrected]), options: ImportOptions(source: "fix.jsonl", actor: "test"))
        versions = try await store.memberVersions(of: a)
        try expect(versions.count == 3 && versions[2].validFrom == corrected.validFrom, "a correction is a version too")

        let now = try await store.decisionSnapshot()
        let index = now.index(of: a)!
        try expect(now.member(at: index, instant: t0.addingTimeInterval(-86_400 * 400))?.birthDate == CivilDate(parsing: "1990-05-17"),
                   "before the corrected instant, the first version")
        try expect(now.member(at: index, instant: t0)?.birthDate == CivilDate(parsing: "2015-01-01"), "after it, the correction")
        let before = try await store.decisionSnapshot(knownAt: k2)
        try expect(before.member(at: index, instant: t0)?.country.description == "DE"
                   && before.member(at: index, instant: t0)?.birthDate == CivilDate(parsing: "1990-05-17")
                   && before.member(at: index, instant: Date())?.country.description == "FR",
                   "as known before the correction: DE in the past, FR since the change")
        let first = try await store.decisionSnapshot(knownAt: k1)
        try expect(first.members[first.index(of: a)!].country.description == "DE" && first.versions.isEmpty, "as known at k1: one version")

        var future = member("b")
        future.validFrom = Date().addingTimeInterval(86_400)
        try await expectThrows({ if case .invalidRecord(_, 1, "valid_from", _) = $0 { true } else { false } }, "a version valid from the future") {
            try await store.importMembers(lines([future]), options: ImportOptions(source: "future.jsonl", actor: "test"))
        }
        try expect(try await store.memberVersions(of: b).count == 1, "the refused import wrote nothing")

        // A new member twice in one import: the last line wins, and the member is still new,
        // its facts valid from the beginning.
        _ = try await store.importMembers(lines([member("n"), member("n", country: "AT")]), options: ImportOptions(source: "twice.jsonl", actor: "test"))
        let twice = try await store.memberVersions(of: MemberID("n")!)
        try expect(twice.count == 1 && twice[0].member.country.description == "AT" && twice[0].validFrom == nil,
                   "one version, from the beginning: \(twice)")
        _ = try await store.verifyAuditChain()
    }

    static func thePolicyTimelineSaysWhichVersionWasInForceWhen(_ store: any ConsentStore) async throws {
        try expect(try await store.policyTimeline().activations.isEmpty, "a new store has no activation")
        let first = try policy()
        try await store.applyPolicy(first, actor: "test")
        let k = try await moment()
        let second = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML.replacingOccurrences(of: "version: \"2025-11-03\"", with: "version: \"2026-02\""),
                                         source: "second.yaml")
        try await store.applyPolicy(second, actor: "test")
        let timeline = try await store.policyTimeline()
        try expect(timeline.activations.map(\.version.policy.version) == ["2025-11-03", "2026-02"], "activations in order")
        try expect(timeline.version(at: .distantPast)?.policy.version == "2025-11-03", "the first version covers the time before it")
        try expect(timeline.version(at: k)?.policy.version == "2025-11-03" && timeline.version(at: Date())?.policy.version == "2026-02",
                   "each version from its activation")
        try expect(timeline.known(at: k).current?.policy.version == "2025-11-03", "as known at k, the first was current")
    }

    static func aSnapshotOfSomeMembersMatchesTheFullSnapshot(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["b", "a", "c", "d"])
        try await store.recordChoice(ConsentEvent(member: MemberID("c")!, choice: .off, channel: .ios, at: t0, actor: "c"))
        try await store.recordChoice(ConsentEvent(member: MemberID("c")!, choice: .on, channel: .web, at: t0.addingTimeInterval(60), actor: "c"))
        try await store.fileObjection(Objection.file(id: ObjectionID(rawValue: "obj_d"), member: MemberID("d")!, at: t0, reason: nil,
                                                     terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60)), actor: "d")
        let asOf = t0.addingTimeInterval(3600)
        let full = try await store.decisionSnapshot()
        let part = try await store.decisionSnapshot(knownAt: nil, members: [MemberID("d")!, MemberID("ghost")!, MemberID("c")!, MemberID("c")!])
        try expect(part.members.map(\.id.rawValue) == ["c", "d"], "only the known members asked for, sorted, once each")
        let policy = try policy().policy
        for (index, member) in part.members.enumerated() {
            let whole = full.index(of: member.id)!
            try expect(part.decision(at: index, policy: policy, instant: asOf) == full.decision(at: whole, policy: policy, instant: asOf),
                       "member \(member.id) decides the same")
            try expect(part.history(at: index).entries.map(\.choice) == full.history(at: whole).entries.map(\.choice), "same history")
        }
    }

    static func objectionsMoveOnlyAlongLegalTransitions(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["a"])
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        let id = ObjectionID(rawValue: "obj_1")
        try await store.fileObjection(Objection.file(id: id, member: MemberID("a")!, at: t0, reason: "no thanks", language: "fr", terms: terms),
                                      actor: "a")
        try await expectThrows({ $0 == .unknownMember(MemberID("ghost")!) }, "objection for an unknown member") {
            try await store.fileObjection(Objection.file(id: ObjectionID(rawValue: "obj_2"), member: MemberID("ghost")!, at: t0,
                                                         reason: nil, terms: terms), actor: "x")
        }
        let extended = try await store.updateObjection(id, actor: "privacy") {
            try $0.extending(by: .days(30), reason: "complex case", at: t0.addingTimeInterval(86_400), maxExtension: .days(60))
        }
        try expect(extended.status == .extended, "extended")
        try await expectThrows({ if case .illegalTransition = $0 { true } else { false } }, "a second extension") {
            try await store.updateObjection(id, actor: "privacy") {
                try $0.extending(by: .days(5), reason: "again", at: t0.addingTimeInterval(2 * 86_400), maxExtension: .days(60))
            }
        }
        _ = try await store.updateObjection(id, actor: "privacy") {
            try $0.deciding(.uphold, reason: "objection accepted", at: t0.addingTimeInterval(3 * 86_400))
        }
        let stored = try await store.objection(id)
        try expect(stored?.status == .upheld && stored?.timeline.count == 3, "the whole timeline is stored")
        try expect(stored?.extendedDue == t0.addingTimeInterval(60 * 86_400), "extended due date kept")
        try expect(stored?.language == "fr", "the language it was filed in kept, through every step")
        try expect(try await store.objections(status: .upheld).map(\.id) == [id], "listed by status")
        try expect(try await store.objections(status: .received).isEmpty, "not listed under another status")
        try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .off, channel: .web, at: t0, actor: "a"))
        let facts = try await store.facts(of: MemberID("a")!)
        let (history, objections) = (try await store.history(of: MemberID("a")!), try await store.objections(of: MemberID("a")!))
        try expect(facts?.member.id == MemberID("a") && facts?.choices == history && facts?.objections == objections
                   && history.count == 1 && objections.count == 1, "a member's facts are their record, choices and objections")
        try expect(try await store.facts(of: MemberID("ghost")!) == nil, "an unknown member has no facts")
        try await expectThrows({ $0 == .unknownObjection(ObjectionID(rawValue: "obj_x")) }, "unknown objection") {
            try await store.updateObjection(ObjectionID(rawValue: "obj_x"), actor: "privacy") { $0 }
        }
    }

    static func everyWriteExtendsAVerifiableAuditChain(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["a", "b"])
        try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .off, channel: .web, at: t0, actor: "a"))
        try await store.fileObjection(Objection.file(id: ObjectionID(rawValue: "obj_1"), member: MemberID("b")!, at: t0, reason: nil,
                                                     terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60)), actor: "b")
        var actions: [AuditAction] = []
        var previous = AuditChain.genesisHash
        var hashes: [String] = []
        try await store.auditEntries(from: nil, to: nil) { entry in
            actions.append(entry.action)
            try expect(entry.previousHash == previous, "entries are chained")
            previous = entry.hash
            hashes.append(entry.hash)
        }
        var later: [AuditEntry] = []
        try await store.auditEntries(after: 3, limit: nil) { later.append($0) }
        try expect(later.map(\.sequence) == [4, 5] && later.first?.previousHash == hashes[2] && later.last?.previousHash == hashes[3],
                   "a read that starts after the first entry still gives each entry the hash before it")
        try expect(actions == [.policyApplied, .memberImported, .memberImported, .choiceRecorded, .objectionFiled],
                   "one entry per state change, in order: \(actions.map(\.rawValue))")
        let verification = try await store.verifyAuditChain()
        try expect(verification.entries == 5 && verification.headHash == previous, "the chain verifies up to its head")
        var none = 0
        try await store.auditEntries(from: Date().addingTimeInterval(3600), to: nil) { _ in none += 1 }
        try expect(none == 0, "the time window filters entries")
    }

    /// A cache of members' facts follows the log with ``ConsentStore/factChanges(after:limit:)``:
    /// it names the member of every entry that changed facts, leaves out those that changed
    /// none, and says when it could not read everything.
    static func theLogSaysWhoseFactsChanged(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["a", "b"])
        let (a, b) = (MemberID("a")!, MemberID("b")!)
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        let start = try await store.factChanges(after: nil, limit: 100)
        try expect(!start.complete && start.changes.isEmpty && start.head == 3, "without a sequence, only the end: \(start)")
        let key = IdempotencyKey(scope: "choice a", clientKey: "follow-1")
        let recorded = try await store.recordChoice(ConsentEvent(member: a, choice: .off, channel: .web, at: t0, actor: "a"),
                                                    idempotencyKey: key, returningFacts: false)
        try expect(recorded.logSequence == 4, "a choice names the entry it appended: \(String(describing: recorded.logSequence))")
        let replayed = try await store.recordChoice(ConsentEvent(member: a, choice: .off, channel: .web, at: t0, actor: "a"),
                                                    idempotencyKey: key, returningFacts: false)
        try expect(replayed.replayed && replayed.logSequence == nil, "a replayed choice appended no entry")
        try await store.fileObjection(Objection.fileForNonMember(id: ObjectionID(rawValue: "obj_n"), email: "someone@example.org",
                                                                 identifiers: ["https://example.org/p/1"], at: t0, reason: nil, terms: terms),
                                      actor: "someone@example.org")
        try await store.fileObjection(Objection.file(id: ObjectionID(rawValue: "obj_b"), member: b, at: t0, reason: nil, terms: terms), actor: "b")
        try await store.applyPolicy(try policy(), actor: "test")
        _ = try await store.importMembers(lines([member("c")]), options: ImportOptions(source: "more.jsonl", actor: "test"))
        let changes = try await store.factChanges(after: start.head, limit: 100)
        let expected = [FactChange(sequence: 4, member: a), FactChange(sequence: 6, member: b),
                        FactChange(sequence: changes.head, member: MemberID("c")!)]
        try expect(changes.complete && changes.changes == expected,
                   "the choice's member, the member's objection's, the imported member's; not the non-member's objection nor the policy: \(changes)")
        let cut = try await store.factChanges(after: start.head, limit: 2)
        try expect(!cut.complete && cut.changes == [expected[0]] && cut.head == changes.head, "a limit stops the read, and says so: \(cut)")
        let none = try await store.factChanges(after: changes.head, limit: 100)
        try expect(none.complete && none.changes.isEmpty && none.head == changes.head, "nothing after the end")
        let beyond = try await store.factChanges(after: changes.head + 10, limit: 100)
        try expect(!beyond.complete, "a sequence past the end names another log: nothing can be said")
    }

    static func anIdempotencyKeyWritesOnce(_ store: any ConsentStore) async throws {
        try await seed(store, members: ["a"])
        let key = IdempotencyKey(scope: "choice a", clientKey: "retry-1")
        let first = try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .off, channel: .api, at: t0, actor: "a"),
                                                 idempotencyKey: key)
        let again = try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .off, channel: .api,
                                                              at: t0.addingTimeInterval(1), actor: "a"), idempotencyKey: key)
        try expect(!first.replayed && again.replayed && again.event.sequence == first.event.sequence && again.event.at == t0,
                   "a retry with the same key returns the first choice: \(again)")
        _ = try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .on, channel: .api, at: t0.addingTimeInterval(2), actor: "a"),
                                         idempotencyKey: IdempotencyKey(scope: "choice a", clientKey: "retry-2"))
        try expect(try await store.history(of: MemberID("a")!).map(\.choice) == [.off, .on], "one entry per key")

        let objectionKey = IdempotencyKey(scope: "objection a", clientKey: "retry-1")
        let objection = Objection.file(id: ObjectionID(rawValue: "obj_idem1"), member: MemberID("a")!, at: t0, reason: nil,
                                       terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60))
        let filed = try await store.fileObjection(objection, actor: "a", idempotencyKey: objectionKey)
        let retried = try await store.fileObjection(Objection.file(id: ObjectionID(rawValue: "obj_idem2"), member: MemberID("a")!, at: t0,
                                                                   reason: nil, terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60)),
                                                    actor: "a", idempotencyKey: objectionKey)
        try expect(!filed.replayed && retried.replayed && retried.objection.id == objection.id, "a retried objection returns the first")
        try expect(try await store.objections(of: MemberID("a")!).map(\.id) == [objection.id], "and files nothing more")

        // A key is bound to what its request asked: the same again replays, anything else is
        // refused, never answered with the first one's result.
        let bound = IdempotencyKey(scope: "choice a", clientKey: "bound", request: #"{"enabled":false}"#)
        let off = try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .off, channel: .api, at: t0, actor: "a"),
                                               idempotencyKey: bound)
        try await expectThrows({ if case .idempotencyKeyReused = $0 { true } else { false } }, "the same key for the opposite choice") {
            _ = try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .on, channel: .api, at: t0, actor: "a"),
                                             idempotencyKey: IdempotencyKey(scope: "choice a", clientKey: "bound", request: #"{"enabled":true}"#))
        }
        let replayed = try await store.recordChoice(ConsentEvent(member: MemberID("a")!, choice: .off, channel: .api, at: t0, actor: "a"),
                                                    idempotencyKey: bound)
        try expect(replayed.replayed && replayed.event.sequence == off.event.sequence, "the same request again replays")
        let boundObjection = IdempotencyKey(scope: "objection a", clientKey: "bound", request: #"{"reason":"one"}"#)
        _ = try await store.fileObjection(Objection.file(id: ObjectionID(rawValue: "obj_idem3"), member: MemberID("a")!, at: t0, reason: "one",
                                                         terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60)),
                                          actor: "a", idempotencyKey: boundObjection)
        try await expectThrows({ if case .idempotencyKeyReused = $0 { true } else { false } }, "the same key for another objection") {
            _ = try await store.fileObjection(Objection.file(id: ObjectionID(rawValue: "obj_idem4"), member: MemberID("a")!, at: t0, reason: "two",
                                                             terms: ObjectionTerms(responseDays: 30, maxExtensionDays: 60)),
                                              actor: "a", idempotencyKey: IdempotencyKey(scope: "objection a", clientKey: "bound", request: #"{"reason":"two"}"#))
        }
        try expect(try await store.objections(of: MemberID("a")!).count == 2, "the refused objection was not filed")
        _ = try await store.verifyAuditChain()
    }
}

extension StoreContract {
    /// 1,000 choices from 50 concurrent tasks (as a burst of members pressing the switch), with
    /// writes the store must refuse mixed in: an unknown member, a second extension of one
    /// objection, a reused idempotency key. Every acknowledged choice is in the ledger once, each
    /// task's choices in the order it made them; each refusal fails alone; writes shared
    /// transactions (group commit), and the audit chain verifies.
    static func concurrentWritesAreEachRecordedOnceInOrderAndFailAlone(_ store: any ConsentStore) async throws {
        let members = (0..<10).map { "m\($0)" }
        try await seed(store, members: members)
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        let objection = ObjectionID(rawValue: "obj_burst")
        try await store.fileObjection(Objection.file(id: objection, member: MemberID("m0")!, at: t0, reason: nil, terms: terms), actor: "m0")
        let shared = IdempotencyKey(scope: "choice m1", clientKey: "burst")

        struct Outcome: Sendable {
            var task: Int
            var recorded: [ConsentEvent] = []
            var refusals: [ConsentError] = []
            var sharedKey: (event: ConsentEvent, replayed: Bool)?
            var extended: Result<Objection, ConsentError>?
        }
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for task in 0..<50 {
                group.addTask {
                    var outcome = Outcome(task: task)
                    let member = MemberID(members[task % members.count])!
                    for index in 0..<20 {
                        let event = ConsentEvent(member: member, choice: index % 2 == 0 ? .off : .on, channel: .api,
                                                 at: t0.addingTimeInterval(Double(task * 20 + index)), actor: "task\(task)")
                        outcome.recorded.append(try await store.recordChoice(event))
                        if index == 7 {
                            do {
                                try await store.recordChoice(ConsentEvent(member: MemberID("ghost\(task)")!, choice: .off, channel: .api,
                                                                          at: t0, actor: "task\(task)"))
                            } catch let error as ConsentError { outcome.refusals.append(error) }
                        }
                    }
                    if task % 10 == 1 {
                        outcome.sharedKey = try await store.recordChoice(ConsentEvent(member: MemberID("m1")!, choice: .off, channel: .ios,
                                                                                      at: t0, actor: "task\(task)"), idempotencyKey: shared)
                    }
                    if task % 25 == 3 {
                        do {
                            outcome.extended = .success(try await store.updateObjection(objection, actor: "task\(task)") {
                                try $0.extending(by: .days(10), reason: "busy", at: t0.addingTimeInterval(60), maxExtension: .days(60))
                            })
                        } catch let error as ConsentError {
                            outcome.extended = .failure(error)
                        }
                    }
                    return outcome
                }
            }
            return try await group.reduce(into: [Outcome]()) { $0.append($1) }
        }

        let recorded = outcomes.flatMap(\.recorded)
        try expect(recorded.count == 1_000, "every choice acknowledged: \(recorded.count)")
        let sequences = recorded.compactMap(\.sequence)
        try expect(Set(sequences).count == 1_000, "each acknowledged choice has a sequence of its own")
        for outcome in outcomes {
            let numbers = outcome.recorded.compactMap(\.sequence)
            try expect(numbers == numbers.sorted(), "task \(outcome.task)'s choices are in the ledger in the order it made them")
        }
        var ledger: [Int64: ConsentEvent] = [:]
        for member in members {
            for event in try await store.history(of: MemberID(member)!) { ledger[event.sequence ?? -1] = event }
        }
        for event in recorded {
            let stored = ledger[event.sequence ?? -1]
            try expect(stored?.actor == event.actor && stored?.at == event.at && stored?.choice == event.choice,
                       "acknowledged choice \(event.sequence ?? -1) is in the ledger as acknowledged")
        }
        let keyed = outcomes.compactMap(\.sharedKey)
        try expect(keyed.count == 5 && keyed.filter { !$0.replayed }.count == 1 && Set(keyed.compactMap(\.event.sequence)).count == 1,
                   "five writes with one key: one recorded, four replayed it")
        try expect(ledger.count == 1_001, "the ledger holds the 1,000 choices and the one keyed choice: \(ledger.count)")
        let refusals = outcomes.flatMap(\.refusals)
        try expect(refusals.count == 50 && refusals.allSatisfy { if case .unknownMember = $0 { true } else { false } },
                   "each unknown member's write failed alone, with its own reason")
        let extensions = outcomes.compactMap(\.extended)
        try expect(extensions.count == 2 && extensions.filter { if case .success = $0 { true } else { false } }.count == 1
                   && extensions.contains { if case .failure(.illegalTransition) = $0 { true } else { false } },
                   "two concurrent extensions: one applied, the other refused as a second extension")
        try expect(try await store.objection(objection)?.timeline.count == 2, "the objection was extended once")
        let transactions = Set(recorded.compactMap(\.recordedAt)).count
        try expect(transactions < 1_000, "concurrent choices shared transactions (\(transactions) commits for 1,000)")
        let verification = try await store.verifyAuditChain()
        try expect(verification.entries == 1 + 10 + 1 + 1_001 + 1, "one audit entry per change: \(verification.entries)")
    }
}

extension StoreContract {
    /// 200 concurrent choices, one of which the database itself refuses though no check of the
    /// store foresaw it (the caller has made the database refuse a choice whose actor is
    /// `refusedActor`, with a trigger). A group commit first tries a batch of choices without
    /// savepoints; here it must notice the refusal, keep nothing of that attempt, and run the
    /// batch again write by write: the refused choice fails alone, the 199 others are each
    /// recorded once, and the audit chain verifies.
    public static func aChoiceOnlyTheDatabaseRefusesFailsAlone(_ store: any ConsentStore, refusedActor: String) async throws {
        let members = (0..<200).map { "r\($0)" }
        try await seed(store, members: members)
        let outcomes = await withTaskGroup(of: (Int, Result<ConsentEvent, any Error>).self) { group in
            for (index, member) in members.enumerated() {
                group.addTask {
                    let event = ConsentEvent(member: MemberID(member)!, choice: .off, channel: .api, at: t0,
                                             actor: index == 77 ? refusedActor : member)
                    do {
                        return (index, .success(try await store.recordChoice(event)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [Int: Result<ConsentEvent, any Error>]()) { $0[$1.0] = $1.1 }
        }
        for (index, outcome) in outcomes {
            if index == 77 {
                try expect({ if case .failure = outcome { true } else { false } }(), "the choice the database refused failed")
            } else {
                try expect({ if case .success = outcome { true } else { false } }(), "choice \(index) was recorded: \(outcome)")
            }
        }
        let recorded: [ConsentEvent] = outcomes.values.compactMap { try? $0.get() }
        try expect(Set(recorded.compactMap(\.sequence)).count == 199, "199 choices, each with a sequence of its own")
        try expect(Set(recorded.compactMap(\.recordedAt)).count < 199, "the choices shared transactions")
        var ledger = 0
        for member in members { ledger += try await store.history(of: MemberID(member)!).count }
        try expect(ledger == 199, "the ledger holds the 199 recorded choices once each: \(ledger)")
        let verification = try await store.verifyAuditChain()
        try expect(verification.entries == 1 + 200 + 199, "one audit entry per change: \(verification.entries)")
    }
}

/// Collects skipped-line errors from an import's callback.
public final class SkippedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [ConsentError] = []

    public init() {}

    public func add(_ error: ConsentError) { lock.withLock { collected.append(error) } }

    public var errors: [ConsentError] { lock.withLock { collected } }
}
