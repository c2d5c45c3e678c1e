import ConsentCore
import Foundation
import Testing

/// Deadlines counted as the law counts them: calendar months on UTC dates (Regulation 1182/71),
/// or days.
struct TermTests {
    func at(_ text: String) -> Date { Timestamp.parse(text)! }

    @Test(arguments: [
        ("2026-01-31T10:00:00Z", 1, "2026-02-28T10:00:00Z"),   // no 31 February: the month's last day
        ("2028-01-31T10:00:00Z", 1, "2028-02-29T10:00:00Z"),   // a leap year
        ("2026-03-01T00:00:00Z", 1, "2026-04-01T00:00:00Z"),
        ("2026-03-31T23:59:59Z", 1, "2026-04-30T23:59:59Z"),
        ("2025-12-31T08:30:00Z", 2, "2026-02-28T08:30:00Z"),   // across a year end
        ("2027-12-31T08:30:00Z", 2, "2028-02-29T08:30:00Z"),
        ("2024-02-29T12:00:00Z", 12, "2025-02-28T12:00:00Z"),  // a 29 February a year on
        ("2026-11-30T00:00:00Z", 3, "2027-02-28T00:00:00Z"),
        ("2026-05-15T12:00:00.123456Z", 1, "2026-06-15T12:00:00.123456Z"),
    ])
    func monthsEndOnTheSameDateOrTheMonthsLastDay(_ from: String, _ months: Int, _ due: String) {
        #expect(Timestamp.format(Term.months(months).after(at(from))) == Timestamp.format(at(due)))
    }

    @Test func daysAreWholeDays() {
        #expect(Term.days(30).after(at("2026-01-31T10:00:00Z")) == at("2026-03-02T10:00:00Z"))
        #expect(Term.months(2).days(after: at("2026-02-15T12:00:00Z")) == 59)
        #expect(Term.months(2).days(after: at("2026-07-01T00:00:00Z")) == 62)
    }

    @Test func termsReadAndPrintAsWritten() {
        #expect(Term("1 month") == .months(1) && Term("2 months") == .months(2) && Term("30 days") == .days(30) && Term("1 day") == .days(1))
        #expect(Term("month") == nil && Term("1 week") == nil && Term("-1 days") == nil && Term("") == nil)
        #expect(Term.months(1).description == "1 month" && Term.days(30).description == "30 days")
    }

    @Test func anObjectionIsDueAMonthAfterReceiptAndExtendsByAtMostTwoMore() throws {
        let terms = ObjectionTerms(response: .months(1), maxExtension: .months(2))
        let filed = Objection.file(id: .random(), member: MemberID("m")!, at: at("2026-01-31T09:00:00Z"), reason: nil, terms: terms)
        #expect(filed.due == at("2026-02-28T09:00:00Z"))
        #expect(throws: ConsentError.self) {
            try filed.extending(by: .days(60), reason: "long", at: at("2026-02-01"), maxExtension: terms.maxExtension)
        }
        let extended = try filed.extending(by: .months(2), reason: "complex", at: at("2026-02-01"), maxExtension: terms.maxExtension)
        #expect(extended.currentDue == at("2026-04-28T09:00:00Z"))
        // Kept as days, it replays to the same deadline.
        #expect(try Objection.replay(id: extended.id, member: extended.member, timeline: extended.timeline) == extended)
        let byDays = try filed.extending(by: .days(59), reason: "complex", at: at("2026-02-01"), maxExtension: terms.maxExtension)
        #expect(byDays.currentDue == at("2026-04-28T09:00:00Z"), "59 days is the same as two months from 28 February")
    }
}
