import ConsentCore
import Foundation
import Testing

struct TimeTests {
    @Test(arguments: [
        ("2025-11-04", "2025-11-04T00:00:00Z"),
        ("2025-11-04T10:00:00Z", "2025-11-04T10:00:00Z"),
        ("2025-11-04T10:00:00.250Z", "2025-11-04T10:00:00.25Z"),
        ("2025-11-04T12:00:00+02:00", "2025-11-04T10:00:00Z"),
        ("2025-11-04T00:30:00-01:00", "2025-11-04T01:30:00Z"),
        ("2024-02-29T23:59:59z", "2024-02-29T23:59:59Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"),
    ])
    func parsesRFC3339AndDates(_ input: String, _ expected: String) throws {
        let date = try #require(Timestamp.parse(input))
        #expect(Timestamp.format(date) == expected)
    }

    @Test(arguments: ["", "2025-13-01", "2025-02-29", "2025-11-04T24:00:00Z", "2025-11-04T10:00:00", "2025-11-04T10:00Z",
                      "04/11/2025", "2025-11-04T10:00:00.Z", "2025-11-04T10:00:00+2:00", "2025-11-04T10:00:60Z"])
    func rejectsWhatIsNotAnInstant(_ input: String) {
        #expect(Timestamp.parse(input) == nil)
    }

    @Test func microsecondsRoundTrip() {
        let micros: Int64 = 1_764_547_200_123_456
        #expect(Timestamp.microseconds(Timestamp.fromMicroseconds(micros)) == micros)
    }

    @Test(arguments: [("2008-02-29", "2026-02-28", 17), ("2008-02-29", "2026-03-01", 18), ("2008-02-29", "2028-02-29", 20),
                      ("2008-01-15", "2026-01-14", 17), ("2008-01-15", "2026-01-15", 18), ("1990-12-31", "1991-01-01", 0)])
    func ageIsWholeYears(_ born: String, _ on: String, _ age: Int) throws {
        let birth = try #require(CivilDate(parsing: born))
        #expect(birth.age(on: try #require(CivilDate(parsing: on))) == age)
    }

    @Test func civilDateOfAnInstantIsUTC() {
        #expect(CivilDate(at("2025-12-31T23:30:00-02:00")).description == "2026-01-01")
        #expect(CivilDate(at("1969-12-31T23:59:59Z")).description == "1969-12-31")
    }

    @Test func countryCodesAreTheAssignedISOCodes() {
        #expect(CountryCode("NO")?.description == "NO")
        #expect(CountryCode("XX") == nil && CountryCode("de") == nil && CountryCode("DEU") == nil && CountryCode("UK") == nil)
        let assigned = (0..<676).filter { index in
            CountryCode(String(decoding: [UInt8(index / 26) + 65, UInt8(index % 26) + 65], as: UTF8.self)) != nil
        }
        #expect(assigned.count == 249)
    }

    @Test func memberIDsOrderByBytesAndHaveBounds() {
        #expect(MemberID("")  == nil)
        #expect(MemberID(String(repeating: "a", count: 257)) == nil)
        #expect(MemberID(String(repeating: "a", count: 256)) != nil)
        #expect(MemberID("a\nb") == nil)
        #expect(MemberID("Z")! < MemberID("a")!)
        #expect(MemberID("é")! > MemberID("z")!)
    }
}
