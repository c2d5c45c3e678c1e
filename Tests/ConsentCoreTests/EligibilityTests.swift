import ConsentCore
import ConsentFormats
import ConsentTesting
import Foundation
import Testing

/// The example policy: us (opt-out, 2024-09-18), europe (opt-out, 2025-11-03),
/// canada-hong-kong (opt-in, 2025-11-03); minimum age 18; unknown ages excluded; GPC honoured.
let example = try! PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "examples/policy.yaml").policy

func policy(_ replacements: [(String, String)]) -> Policy {
    var yaml = Fixtures.examplePolicyYAML
    for (old, new) in replacements { yaml = yaml.replacingOccurrences(of: old, with: new) }
    return try! PolicyFile.load(yaml: yaml, source: "test").policy
}

func at(_ text: String) -> Date { Timestamp.parse(text)! }

func member(_ country: String = "DE", born: String? = "1990-05-17", notified: String? = nil) -> Member {
    Member(id: MemberID("m")!, birthDate: born.flatMap { CivilDate(parsing: $0) }, country: CountryCode(country)!,
           notifiedAt: notified.map(at))
}

func choice(_ value: Choice, _ channel: Channel = .web, _ time: String) -> ConsentEvent {
    ConsentEvent(member: MemberID("m")!, choice: value, channel: channel, at: at(time), actor: "m")
}

let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)

func objection(filed: String) -> Objection {
    Objection.file(id: ObjectionID(rawValue: "obj_1"), member: MemberID("m")!, at: at(filed), reason: nil, terms: terms)
}

func decided(_ objection: Objection, _ outcome: ObjectionOutcome, _ time: String) -> Objection {
    try! objection.deciding(outcome, reason: "because", at: at(time))
}

struct EligibilityTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var member: Member?
        var events: [ConsentEvent] = []
        var objections: [Objection] = []
        var policy: Policy = example
        var instant: String = "2026-01-15T12:00:00Z"
        var reason: Reason
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown member", member: nil, reason: .memberUnknown),
        Case(name: "unknown age excluded by policy", member: member(born: nil), reason: .ageUnknown),
        Case(name: "unknown age included by policy", member: member(born: nil),
             policy: policy([("unknown_age: exclude", "unknown_age: include")]), reason: .includedByDefault),
        Case(name: "minor", member: member(born: "2010-03-01"), reason: .minor),
        Case(name: "minor even when opted in", member: member(born: "2010-03-01"),
             events: [choice(.on, .web, "2025-12-01T00:00:00Z")], reason: .minor),
        Case(name: "day before the 18th birthday", member: member(born: "2008-01-15"),
             instant: "2026-01-14T23:59:59Z", reason: .minor),
        Case(name: "day of the 18th birthday", member: member(born: "2008-01-15"),
             instant: "2026-01-15T00:00:00Z", reason: .includedByDefault),
        Case(name: "29 February birthday on 28 February of a common year", member: member(born: "2008-02-29"),
             instant: "2026-02-28T23:59:59Z", reason: .minor),
        Case(name: "29 February birthday reached on 1 March of a common year", member: member(born: "2008-02-29"),
             instant: "2026-03-01T00:00:00Z", reason: .includedByDefault),
        Case(name: "29 February birthday in a leap year", member: member(born: "2012-02-29"),
             policy: policy([("minimum_age: 18", "minimum_age: 16")]), instant: "2028-02-29T00:00:00Z", reason: .includedByDefault),
        Case(name: "country in no region", member: member("BR"), reason: .regionNotInScope),
        Case(name: "minor outside every region is a minor first", member: member("BR", born: "2015-01-01"), reason: .minor),
        Case(name: "a second before the effective date", member: member("DE"), instant: "2025-11-02T23:59:59Z", reason: .notYetEffective),
        Case(name: "the instant of the effective date", member: member("DE"), instant: "2025-11-03T00:00:00Z", reason: .includedByDefault),
        Case(name: "notice required and never given", member: member(notified: nil),
             policy: policy([("notice_days: 0", "notice_days: 30")]), reason: .noticePending),
        Case(name: "notice given too recently", member: member(notified: "2026-01-01T00:00:00Z"),
             policy: policy([("notice_days: 0", "notice_days: 30")]), reason: .noticePending),
        Case(name: "notice given exactly 30 days before", member: member(notified: "2025-12-16T12:00:00Z"),
             policy: policy([("notice_days: 0", "notice_days: 30")]), reason: .includedByDefault),
        Case(name: "upheld objection", member: member(),
             objections: [decided(objection(filed: "2025-12-01T00:00:00Z"), .uphold, "2025-12-10T00:00:00Z")],
             reason: .objectionUpheld),
        Case(name: "upheld objection beats an opt-in", member: member(),
             events: [choice(.on, .web, "2026-01-01T00:00:00Z")],
             objections: [decided(objection(filed: "2025-12-01T00:00:00Z"), .uphold, "2025-12-10T00:00:00Z")],
             reason: .objectionUpheld),
        Case(name: "pending objection", member: member(), objections: [objection(filed: "2025-12-01T00:00:00Z")],
             reason: .objectionPending),
        Case(name: "objection filed after a choice still restricts", member: member(),
             events: [choice(.on, .web, "2025-11-20T00:00:00Z")], objections: [objection(filed: "2025-12-01T00:00:00Z")],
             reason: .objectionPending),
        Case(name: "objection filed after the instant does not exist yet", member: member(),
             objections: [objection(filed: "2026-02-01T00:00:00Z")], reason: .includedByDefault),
        Case(name: "objection decided after the instant was still pending", member: member(),
             objections: [decided(objection(filed: "2026-01-01T00:00:00Z"), .uphold, "2026-01-20T00:00:00Z")],
             reason: .objectionPending),
        Case(name: "rejected objection restores the previous state", member: member(),
             events: [choice(.off, .web, "2025-11-20T00:00:00Z")],
             objections: [decided(objection(filed: "2025-12-01T00:00:00Z"), .reject, "2025-12-10T00:00:00Z")],
             reason: .optedOut),
        Case(name: "rejected objection, no choice", member: member(),
             objections: [decided(objection(filed: "2025-12-01T00:00:00Z"), .reject, "2025-12-10T00:00:00Z")],
             reason: .includedByDefault),
        Case(name: "opted out", member: member(), events: [choice(.off, .ios, "2025-12-01T00:00:00Z")], reason: .optedOut),
        Case(name: "opted out before the effective date stays out", member: member(),
             events: [choice(.off, .web, "2025-10-01T00:00:00Z")], reason: .optedOut),
        Case(name: "gpc honoured", member: member(), events: [choice(.off, .gpc, "2025-12-01T00:00:00Z")],
             reason: .globalPrivacyControl),
        Case(name: "gpc ignored when not honoured", member: member(), events: [choice(.off, .gpc, "2025-12-01T00:00:00Z")],
             policy: policy([("honor_gpc: true", "honor_gpc: false")]), reason: .includedByDefault),
        Case(name: "gpc ignored falls back to the earlier choice", member: member("CA"),
             events: [choice(.on, .android, "2025-11-10T00:00:00Z"), choice(.off, .gpc, "2025-12-01T00:00:00Z")],
             policy: policy([("honor_gpc: true", "honor_gpc: false")]), reason: .optedIn),
        Case(name: "explicit on after gpc is respected", member: member(),
             events: [choice(.off, .gpc, "2025-12-01T00:00:00Z"), choice(.on, .web, "2025-12-02T00:00:00Z")], reason: .optedIn),
        Case(name: "opt-in region without a choice", member: member("CA"), reason: .awaitingConsent),
        Case(name: "opt-in region, opted in", member: member("HK"), events: [choice(.on, .android, "2025-11-05T00:00:00Z")],
             reason: .optedIn),
        Case(name: "choice after the instant does not count", member: member("CA"),
             events: [choice(.on, .web, "2026-02-01T00:00:00Z")], reason: .awaitingConsent),
        Case(name: "equal timestamps: the later appended wins (off then on)", member: member(),
             events: [choice(.off, .web, "2025-12-01T00:00:00Z"), choice(.on, .ios, "2025-12-01T00:00:00Z")], reason: .optedIn),
        Case(name: "equal timestamps: the later appended wins (on then off)", member: member(),
             events: [choice(.on, .ios, "2025-12-01T00:00:00Z"), choice(.off, .web, "2025-12-01T00:00:00Z")], reason: .optedOut),
        Case(name: "events appended out of time order", member: member(),
             events: [choice(.off, .web, "2025-12-05T00:00:00Z"), choice(.on, .web, "2025-12-01T00:00:00Z")], reason: .optedOut),
        Case(name: "opt-out region by default", member: member("US"), instant: "2024-09-18T00:00:00Z", reason: .includedByDefault),
    ]

    @Test(arguments: cases)
    func decisionNamesTheFirstApplicableReason(_ testCase: Case) {
        let decision = decide(testCase.member, history: ConsentHistory(testCase.events), objections: testCase.objections,
                              policy: testCase.policy, at: at(testCase.instant))
        #expect(decision.reason == testCase.reason)
        #expect(decision.eligible == [.optedIn, .includedByDefault].contains(testCase.reason))
    }

    @Test func regionIsReportedEvenWhenExcluded() {
        let decision = decide(member("CA", born: "2012-01-01"), history: .empty, objections: [], policy: example, at: at("2026-01-01"))
        #expect(decision.reason == .minor)
        #expect(decision.regionIndex.map { example.regions[$0].id } == "canada-hong-kong")
        let outside = decide(member("BR"), history: .empty, objections: [], policy: example, at: at("2026-01-01"))
        #expect(outside.regionIndex == nil)
    }

    @Test func reasonsAreListedInTheDocumentedPrecedence() {
        #expect(Reason.allCases.map(\.rawValue) == [
            "member_unknown", "age_unknown", "minor", "region_not_in_scope", "not_yet_effective", "notice_pending",
            "objection_upheld", "objection_pending", "opted_out", "global_privacy_control", "awaiting_consent",
            "opted_in", "included_by_default",
        ])
    }
}

struct MemberSettingTests {
    static let europe = Region(id: "europe", countries: [CountryCode("DE")!], effective: Date(timeIntervalSince1970: 0), defaultRule: .included)
    static let canada = Region(id: "canada", countries: [CountryCode("CA")!], effective: Date(timeIntervalSince1970: 0), defaultRule: .excluded)

    static func choice(_ choice: Choice, _ channel: Channel = .web) -> ConsentHistory.Entry {
        ConsentHistory([ConsentEvent(member: MemberID("m")!, choice: choice, channel: channel, at: Date(timeIntervalSince1970: 10), actor: "m")])
            .latest(at: Date(timeIntervalSince1970: 20), honoringGPC: true)!
    }

    @Test func theSwitchShowsTheLatestChoiceElseTheRegionsDefault() {
        #expect(memberSetting(latest: nil, region: Self.europe) == true, "used by default: on")
        #expect(memberSetting(latest: nil, region: Self.canada) == false, "used only once chosen: off")
        #expect(memberSetting(latest: nil, region: nil) == false, "outside every region: off")
        #expect(memberSetting(latest: Self.choice(.on), region: Self.canada) == true)
        #expect(memberSetting(latest: Self.choice(.off), region: Self.europe) == false)
        #expect(memberSetting(latest: Self.choice(.off, .gpc), region: Self.europe) == false)
    }
}
