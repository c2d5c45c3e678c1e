import ConsentCore
import ConsentFormats
import ConsentTesting
import Foundation
import Testing

/// The rules of time, as pure functions: which facts, which policy, and when data may be used.
struct TimeRulesTests {
    func version(_ born: String, _ country: String = "DE", validFrom: String?, recorded: String) -> MemberVersion {
        MemberVersion(member: member(country, born: born), validFrom: validFrom.map(at), recordedAt: at(recorded))
    }

    @Test func theFactsAtAnInstantAreTheLastRecordedOfThoseValidThen() {
        let first = version("1990-01-01", validFrom: nil, recorded: "2025-01-01")
        let moved = version("1990-01-01", "FR", validFrom: "2025-06-01", recorded: "2025-06-01")
        let corrected = version("2010-01-01", "FR", validFrom: "2024-01-01", recorded: "2025-09-01")
        let versions = [first, moved, corrected]
        #expect(MemberVersion.inForce(at: at("2023-01-01"), in: versions)?.birthDate == CivilDate(parsing: "1990-01-01"))
        #expect(MemberVersion.inForce(at: at("2024-06-01"), in: versions)?.birthDate == CivilDate(parsing: "2010-01-01"),
                "a correction replaces what was known from its valid_from on")
        #expect(MemberVersion.inForce(at: at("2025-07-01"), in: versions)?.country.description == "FR")
        #expect(MemberVersion.inForce(at: at("2025-07-01"), in: [first, moved])?.birthDate == CivilDate(parsing: "1990-01-01"),
                "as known before the correction")
        #expect(MemberVersion.inForce(at: at("2020-01-01"), in: [version("1990-01-01", validFrom: "2021-01-01", recorded: "2025-01-01")]) == nil,
                "not yet a member")
    }

    @Test func thePolicyInForceIsTheLastActivatedAndTheFirstCoversThePast() throws {
        let first = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "a")
        let second = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML.replacingOccurrences(of: "minimum_age: 18", with: "minimum_age: 21")
            .replacingOccurrences(of: #"version: "2025-11-03""#, with: #"version: "2026-06""#), source: "b")
        let timeline = PolicyTimeline([.init(version: first, at: at("2025-11-03")), .init(version: second, at: at("2026-06-01")),
                                       .init(version: first, at: at("2026-09-01"))])
        #expect(timeline.version(at: at("2020-01-01"))?.policy.version == "2025-11-03")
        #expect(timeline.version(at: at("2026-06-01"))?.policy.version == "2026-06")
        #expect(timeline.version(at: at("2026-10-01"))?.policy.version == "2025-11-03", "re-activated")
        #expect(timeline.known(at: at("2026-07-01")).current?.policy.version == "2026-06")
        #expect(timeline.known(at: at("2025-01-01")).version(at: at("2026-01-01")) == nil, "nothing was applied yet")
        #expect(PolicyTimeline([]).version(at: Date()) == nil)
    }

    @Test func dataMayBeUsedOnlyWhenEligibleThenAndNow() throws {
        let eligible = Decision(reason: .includedByDefault, regionIndex: 1)
        let objected = Decision(reason: .objectionPending, regionIndex: 1)
        let minor = Decision(reason: .minor, regionIndex: 1)
        #expect(TrainingUse(asOf: eligible, now: eligible).usable)
        #expect(!TrainingUse(asOf: eligible, now: objected).usable && TrainingUse(asOf: eligible, now: objected).reason == .objectionPending,
                "only now excludes: the reason now")
        #expect(TrainingUse(asOf: minor, now: objected).reason == .minor, "the reason at as-of when it excludes")
        #expect(TrainingUse(asOf: eligible, now: eligible).reason == .includedByDefault)
    }

    @Test func aSnapshotDecidesEachInstantWithItsOwnFactsAndPolicy() throws {
        var snapshot = DecisionSnapshot()
        let born = member("DE", born: "2006-03-01")
        snapshot.append(born, entries: [ConsentHistory.Entry(at: at("2026-05-01"), choice: .off, channel: .ios)])
        let then = (example, at("2026-04-01")), now = (example, at("2026-06-01"))
        let use = snapshot.use(at: 0, asOf: then, now: now)
        #expect(use.asOf.reason == .includedByDefault && use.now.reason == .optedOut && !use.usable && use.reason == .optedOut)
        #expect(use.usableFrom == CivilDate(parsing: "2024-03-01"))
        // Under a later policy with a minimum age of 21 the later coming of age applies to records.
        let stricter = policy([("minimum_age: 18", "minimum_age: 21")])
        #expect(snapshot.use(at: 0, asOf: then, now: (stricter, at("2026-04-02"))).usableFrom == CivilDate(parsing: "2027-03-01"))
        // Versions: a member who moved out of scope since is not usable now, but was eligible then.
        var moved = DecisionSnapshot()
        let versions = [MemberVersion(member: member("DE"), validFrom: nil, recordedAt: at("2025-01-01")),
                        MemberVersion(member: member("BR"), validFrom: at("2026-05-01"), recordedAt: at("2026-05-01"))]
        moved.append(versions[1].member, entries: [])
        moved.attach(versions: versions, toMemberAt: 0)
        let away = moved.use(at: 0, asOf: then, now: now)
        #expect(away.asOf.reason == .includedByDefault && away.now.reason == .regionNotInScope && away.reason == .regionNotInScope)
    }
}
