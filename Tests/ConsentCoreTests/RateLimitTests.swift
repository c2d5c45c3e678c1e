import ConsentCore
import Foundation
import Testing

struct RateLimitTests {
    @Test(arguments: [("5/day", 5, 86_400.0), ("20/hour", 20, 3_600), ("30/min", 30, 60), ("10/s", 10, 1), (" 2 / H ", 2, 3_600)])
    func limitsAreWrittenAsCountPerUnit(_ text: String, _ count: Int, _ period: Double) throws {
        #expect(try RateLimit(parsing: text, field: "limit") == RateLimit(count: count, period: period))
    }

    @Test(arguments: ["5", "0/day", "-1/day", "5/week", "five/day", "5/day/x", ""])
    func otherTextIsRefusedNamingTheOption(_ text: String) {
        #expect(throws: ConsentError.self) { try RateLimit(parsing: text, field: "limit-member-writes") }
        do { _ = try RateLimit(parsing: text, field: "limit-member-writes") } catch {
            #expect("\(error)".hasPrefix("limit-member-writes: "))
        }
    }

    @Test func aSlidingWindowWaitsForTheOldestToAgeOut() {
        let limit = RateLimit.perDay(5)
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(limit.retryAfter(recent: 4, oldest: now.addingTimeInterval(-100), at: now) == nil)
        #expect(limit.retryAfter(recent: 5, oldest: now.addingTimeInterval(-100), at: now) == 86_300)
        #expect(limit.retryAfter(recent: 5, oldest: now.addingTimeInterval(-86_399.5), at: now) == 1, "never less than a second")
    }

    @Test func aBucketAllowsABurstThenTheAverageRate() {
        let start = Date(timeIntervalSince1970: 0)
        var bucket = TokenBucket(limit: .perMinute(3), at: start)
        #expect((0..<3).map { _ in bucket.take(at: start) } == [nil, nil, nil])
        #expect(bucket.take(at: start) == 20)
        #expect(bucket.take(at: start.addingTimeInterval(19)) == 1)
        #expect(bucket.take(at: start.addingTimeInterval(20)) == nil)
        #expect(!bucket.isFull(at: start.addingTimeInterval(60)))
        #expect(bucket.isFull(at: start.addingTimeInterval(80)))
    }

    @Test(arguments: [
        ("Sam@Example.com", "sam@example.com"), ("sam+news@example.com", "sam@example.com"),
        ("\u{FF53}\u{FF41}\u{FF4D}@example.com", "sam@example.com"), ("s.a.m+x@Gmail.com", "sam@gmail.com"),
        ("s.am@example.com", "s.am@example.com"), ("  sam@example.com ", "sam@example.com"),
    ])
    func addressesCountByTheirPlainForm(_ typed: String, _ key: String) {
        #expect(EmailAddress.countingKey(typed) == key)
    }
}
