import ConsentCore
import ConsentTesting
import Foundation
import Testing

/// Properties over a seeded random population: they hold for every member and instant.
struct EligibilityPropertyTests {
    static let population = SyntheticPopulation(seed: 7, count: 3000)

    static func instant(_ random: inout SplitMix64) -> Date {
        at("2024-06-01").addingTimeInterval(TimeInterval(random.next(900 * 86_400)))
    }

    @Test func anOptedOutOrMinorMemberIsNeverEligible() {
        var random = SplitMix64(seed: 1)
        for index in 0..<Self.population.count {
            let record = Self.population.member(index)
            var events = Self.population.choices(index)
            let when = Self.instant(&random)
            // A final explicit off at or before the instant.
            events.append(ConsentEvent(member: record.member.id, choice: .off, channel: .web, at: when, actor: "m"))
            let optedOut = decide(record.member, history: ConsentHistory(events), objections: [], policy: example, at: when)
            #expect(!optedOut.eligible, "member \(index) opted out at \(when) but \(optedOut.reason)")
            if let age = record.member.age(at: when), age < example.minimumAge {
                let withOn = events + [ConsentEvent(member: record.member.id, choice: .on, channel: .web, at: when, actor: "m")]
                let minor = decide(record.member, history: ConsentHistory(withOn), objections: [], policy: example, at: when)
                #expect(minor.reason == .minor, "member \(index), aged \(age), is \(minor.reason)")
            }
        }
    }

    @Test func nobodyInARegionIsEligibleBeforeItsEffectiveDate() {
        var random = SplitMix64(seed: 2)
        for index in 0..<Self.population.count {
            let record = Self.population.member(index)
            guard let region = example.region(of: record.member.country) else { continue }
            let before = region.effective.addingTimeInterval(-TimeInterval(1 + random.next(400 * 86_400)))
            let events = Self.population.choices(index) + [
                ConsentEvent(member: record.member.id, choice: .on, channel: .web, at: before.addingTimeInterval(-1), actor: "m"),
            ]
            let decision = decide(record.member, history: ConsentHistory(events), objections: [], policy: example, at: before)
            #expect(!decision.eligible, "member \(index) in \(region.id) eligible at \(before)")
        }
    }

    @Test func decisionsDoNotDependOnTheOrderEventsWereAppended() {
        var random = SplitMix64(seed: 3)
        for index in 0..<Self.population.count {
            let record = Self.population.member(index)
            let events = Self.population.choices(index)
            guard events.count > 1 else { continue }
            var shuffled = events
            shuffled.shuffle(using: &random)
            for _ in 0..<3 {
                let when = Self.instant(&random)
                let inOrder = decide(record.member, history: ConsentHistory(events), objections: [], policy: example, at: when)
                let outOfOrder = decide(record.member, history: ConsentHistory(shuffled), objections: [], policy: example, at: when)
                #expect(inOrder == outOfOrder, "member \(index) at \(when)")
            }
        }
    }

    @Test func aSnapshotDecidesLikeTheMemberByMemberPath() {
        var snapshot = DecisionSnapshot()
        let members = (0..<500).map { Self.population.member($0).member }.sorted { $0.id < $1.id }
        let byID = Dictionary(uniqueKeysWithValues: (0..<500).map { (Self.population.id($0), $0) })
        for member in members {
            snapshot.append(member, entries: ConsentHistory(Self.population.choices(byID[member.id]!)).entries)
        }
        let when = at("2026-03-01")
        for (index, member) in members.enumerated() {
            let direct = decide(member, history: ConsentHistory(Self.population.choices(byID[member.id]!)), objections: [],
                                policy: example, at: when)
            #expect(snapshot.decision(at: index, policy: example, instant: when) == direct)
            #expect(snapshot.index(of: member.id) == index)
        }
        #expect(snapshot.index(of: MemberID("urn:li:member:none")!) == nil)
    }
}
