import ConsentCore
import ConsentFormats
import ConsentTesting
import Foundation
import Testing

/// The program's figures, computed from decision inputs and objections with explicit instants,
/// and what of them may be published.
struct ProgramFiguresTests {
    /// Members in Germany (`europe`, included by default) with the given choices, and one in Brazil.
    func view(choices: [[ConsentHistory.Entry]], now: String) throws -> DecisionView {
        var snapshot = DecisionSnapshot()
        for (index, entries) in choices.enumerated() {
            snapshot.append(Member(id: MemberID("m\(100 + index)")!, birthDate: CivilDate(parsing: "1990-01-01"), country: CountryCode("DE")!),
                            entries: entries)
        }
        snapshot.append(Member(id: MemberID("z-br")!, birthDate: CivilDate(parsing: "1990-01-01"), country: CountryCode("BR")!), entries: [])
        let version = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "policy.yaml")
        return DecisionView(timeline: PolicyTimeline([.init(version: version, at: at("2025-01-01"))]), snapshot: snapshot, moment: at(now))
    }

    @Test func weeksStartOnMondayAtMidnightUTC() {
        #expect(ProgramFigures.weekStart(at("2026-11-30T15:00:00Z")) == at("2026-11-30"), "a Monday")
        #expect(ProgramFigures.weekStart(at("2026-12-06T23:59:59Z")) == at("2026-11-30"), "the Sunday after")
        #expect(ProgramFigures.weekStart(at("2026-12-07")) == at("2026-12-07"))
        #expect(ProgramFigures.weekStart(at("1969-12-31")) == at("1969-12-29"), "before 1970 too")
    }

    @Test func choicesCountInTheirWeekAndSharesAreTakenAtEachWeeksEnd() throws {
        let off = ConsentHistory.Entry(at: at("2026-11-03T10:00:00Z"), choice: .off, channel: .ios)
        let gpc = ConsentHistory.Entry(at: at("2026-11-10T10:00:00Z"), choice: .off, channel: .gpc)
        let on = ConsentHistory.Entry(at: at("2026-11-11T10:00:00Z"), choice: .on, channel: .web)
        let view = try view(choices: [[off], [gpc], [on], []], now: "2026-11-20")
        let figures = try ProgramFigures.compute(view: view, objections: [], datasets: [], models: [],
                                                 from: at("2026-11-04"), to: at("2026-11-20"))
        #expect(figures.from == at("2026-11-02") && figures.weeks.count == 3 && figures.weeks.last?.end == at("2026-11-20"))
        #expect(figures.weeks[0].switchedOff == [.ios: 1] && figures.weeks[0].switchedOn.isEmpty)
        #expect(figures.weeks[1].switchedOff == [.gpc: 1] && figures.weeks[1].switchedOn == [.web: 1])
        #expect(figures.weeks[0].settings["europe"] == .init(members: 4, optedOut: 1, optedIn: 0))
        #expect(figures.weeks[1].settings["europe"] == .init(members: 4, optedOut: 2, optedIn: 1), "GPC counts as off: the policy honours it")
        #expect(figures.weeks[0].settings["us"] == .init(), "no US members")
        #expect(figures.members == 5 && figures.eligible == 2)
        #expect(figures.byReason[.optedOut] == 1 && figures.byReason[.globalPrivacyControl] == 1 && figures.byReason[.regionNotInScope] == 1)
        #expect(figures.byReason[.minor] == 0, "every reason is present")
        #expect(figures.regions.map(\.id) == ["us", "europe", "canada-hong-kong", "out_of_scope"])
        #expect(figures.regions[1].members == 4 && figures.regions[1].eligible == 2 && figures.regions[3].members == 1)
    }

    @Test func objectionsAreCountedByWeekAndAgainstTheirDeadline() throws {
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        let quick = try Objection.file(id: ObjectionID(rawValue: "obj_1"), member: MemberID("m100")!, at: at("2026-09-01"), reason: nil, terms: terms)
            .deciding(.uphold, reason: "ok", at: at("2026-09-08"))
        let late = try Objection.file(id: ObjectionID(rawValue: "obj_2"), member: MemberID("m101")!, at: at("2026-09-02"), reason: nil, terms: terms)
            .deciding(.reject, reason: "no", at: at("2026-10-12"))
        let extended = try Objection.file(id: ObjectionID(rawValue: "obj_3"), member: MemberID("m102")!, at: at("2026-09-02"), reason: nil, terms: terms)
            .extending(by: .days(30), reason: "backlog", at: at("2026-09-20"), maxExtension: .days(60))
        let view = try view(choices: [[], [], []], now: "2026-10-19")
        let figures = try ProgramFigures.compute(view: view, objections: [quick, late, extended], datasets: [], models: [],
                                                 from: at("2026-08-31"), to: at("2026-10-19"))
        #expect(figures.weeks.count == 7)
        #expect(figures.weeks[0].objectionsReceived == 3 && figures.weeks[1].objectionsDecided == 1 && figures.weeks[6].objectionsDecided == 1)
        // obj_2 was due 2026-10-02 and decided 10 days later: overdue at the end of the weeks from
        // 28 Sep and 5 Oct, not after its decision. obj_3's deadline moved to 1 Nov: never overdue.
        #expect(figures.weeks.map(\.objectionsOverdue) == [0, 0, 0, 0, 1, 1, 0])
        #expect(figures.decisionTimes.days == [7, 40] && figures.decisionTimes.onTime == 1 && figures.decisionTimes.late == 1)
        #expect(figures.decisionTimes.median == 7 && figures.decisionTimes.percentile95 == 40)
    }

    @Test func aWindowLongerThanTwoYearsOrEmptyIsRefused() throws {
        let view = try view(choices: [], now: "2026-10-01")
        #expect(throws: ConsentError.self) { try ProgramFigures.compute(view: view, objections: [], datasets: [], models: [], from: at("2024-01-01"), to: at("2026-10-01")) }
        #expect(throws: ConsentError.self) { try ProgramFigures.compute(view: view, objections: [], datasets: [], models: [], from: at("2026-10-01"), to: at("2026-09-01")) }
    }

    @Test(arguments: [
        ([50, 3, 40], true, [50, nil, nil]),        // one withheld, so the next smallest too
        ([50, 3, 4, 40], true, [50, nil, nil, 40]), // two withheld already: neither can be worked out
        ([50, 3, 40], false, [50, nil, 40]),        // no total is published
        ([50, 0, 40], true, [50, 0, 40]),           // zero names nobody
        ([9, 0, 0], true, [nil, 0, 0]),             // the total itself is withheld then (9 < 10)
        ([10, 12], true, [10, 12]),
    ])
    func smallCountsAreWithheldAndCannotBeWorkedOut(_ counts: [Int], _ totalShown: Bool, _ expected: [Int?]) {
        #expect(PublicFigures.withholding(counts, minimum: 10, totalShown: totalShown) == expected)
    }

    @Test func noPublishedCountIsUnderTheMinimum() throws {
        let entries = (0..<12).map { [ConsentHistory.Entry(at: at("2026-11-03T10:00:00Z"), choice: $0 < 3 ? .on : .off, channel: .web)] }
        let view = try view(choices: entries + [[], []], now: "2026-11-20")
        let figures = try ProgramFigures.compute(view: view, objections: [], datasets: [], models: [], from: at("2026-11-02"), to: at("2026-11-20"))
        let published = PublicFigures(figures)
        var counts = [published.members, published.eligible, published.excluded] + published.byReason.map(\.count)
        counts += published.regions.flatMap { [$0.members, $0.eligible, $0.excluded] }
        counts += published.weeks.flatMap { $0.switchedOn.map(\.count) + $0.switchedOff.map(\.count) }
        #expect(counts.compactMap { $0 }.allSatisfy { $0 == 0 || $0 >= 10 })
        #expect(published.members == 15 && published.byReason.first { $0.reason == .optedOut }?.count == nil, "9 opted out")
        #expect(published.weeks[0].switchedOn.first { $0.channel == .web }?.count == nil && published.weeks[0].switchedOff.first?.count == nil)
        // 9 of 14 opted out: 5 are not, so the share would point at them.
        #expect(published.weeks[0].shares.first { $0.region == "europe" }?.optedOut == nil)
        let everyone = PublicFigures(figures, minimumCount: 1)
        #expect(everyone.byReason.first { $0.reason == .optedOut }?.count == 9)
        #expect(everyone.weeks[0].shares.first { $0.region == "europe" }?.optedOut == 9.0 / 14.0)
    }
}
