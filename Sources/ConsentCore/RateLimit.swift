import Foundation

/// At most `count` of something per `period`, as an operator writes it: `5/day`, `20/hour`,
/// `30/min`, `10/s`. Limits keep one member, one address or one client from growing the
/// append-only ledger or flooding the privacy team's queue; a refusal says when to try again.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public var count: Int
    public var period: TimeInterval

    public init(count: Int, period: TimeInterval) {
        precondition(count > 0 && period > 0, "a rate limit allows at least one in a positive period")
        self.count = count
        self.period = period
    }

    public static func perDay(_ count: Int) -> RateLimit { RateLimit(count: count, period: 86_400) }
    public static func perHour(_ count: Int) -> RateLimit { RateLimit(count: count, period: 3_600) }
    public static func perMinute(_ count: Int) -> RateLimit { RateLimit(count: count, period: 60) }

    private static let units: [(names: [String], seconds: TimeInterval)] = [
        (["s", "sec", "second"], 1), (["min", "minute"], 60), (["h", "hour"], 3_600), (["d", "day"], 86_400),
    ]

    /// Parses `COUNT/UNIT` (unit `s`, `min`, `hour` or `day`); `field` names the option in the error.
    public init(parsing text: String, field: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0].trimmingCharacters(in: .whitespaces)), count > 0,
              let unit = Self.units.first(where: { $0.names.contains(parts[1].trimmingCharacters(in: .whitespaces).lowercased()) })
        else {
            throw ConsentError.invalidField(field: field, message: "\(jsonStringLiteral(text)) is not a limit like 5/day, 20/hour or 30/min (a positive count per s, min, hour or day)")
        }
        self.init(count: count, period: unit.seconds)
    }

    public var description: String {
        switch period {
        case 86_400: "\(count)/day"
        case 3_600: "\(count)/hour"
        case 60: "\(count)/min"
        case 1: "\(count)/s"
        default: "\(count) per \(Int(period)) s"
        }
    }

    /// The start of the window that ends at `instant`.
    public func windowStart(endingAt instant: Date) -> Date { instant.addingTimeInterval(-period) }

    /// Counted over a sliding window: whole seconds until one more is allowed, when `recent`
    /// happened in the window ending at `instant` and the oldest of them at `oldest`; nil when
    /// one more is allowed now.
    public func retryAfter(recent: Int, oldest: Date?, at instant: Date) -> Int? {
        guard recent >= count else { return nil }
        let wait = (oldest ?? instant).addingTimeInterval(period).timeIntervalSince(instant)
        return max(1, Int(wait.rounded(.up)))
    }

    /// The window in words, after "in the last": "24 hours", "hour", "minute".
    public var window: String {
        switch period {
        case 86_400: "24 hours"
        case 3_600: "hour"
        case 60: "minute"
        default: "\(Int(period)) seconds"
        }
    }

    /// A sentence for the refusal: "at most 5 a day".
    public var sentence: String {
        switch period {
        case 86_400: "at most \(count) a day"
        case 3_600: "at most \(count) an hour"
        case 60: "at most \(count) a minute"
        case 1: "at most \(count) a second"
        default: "at most \(count) every \(Int(period)) seconds"
        }
    }
}

/// A token bucket for limits kept in memory: it holds up to `limit.count` tokens and refills
/// at `count / period` a second, so a burst of `count` is allowed and then the average rate.
public struct TokenBucket: Sendable {
    public let limit: RateLimit
    private var tokens: Double
    private var updated: Date

    public init(limit: RateLimit, at instant: Date) {
        self.limit = limit
        tokens = Double(limit.count)
        updated = instant
    }

    /// Takes one token at `instant`: nil when one was there, else the whole seconds until one is.
    public mutating func take(at instant: Date) -> Int? {
        refill(at: instant)
        guard tokens >= 1 else {
            return max(1, Int(((1 - tokens) / rate).rounded(.up)))
        }
        tokens -= 1
        return nil
    }

    /// Whether the bucket is full at `instant`: forgetting it then changes nothing.
    public func isFull(at instant: Date) -> Bool {
        var copy = self
        copy.refill(at: instant)
        return copy.tokens >= Double(limit.count)
    }

    private var rate: Double { Double(limit.count) / limit.period }

    private mutating func refill(at instant: Date) {
        let elapsed = instant.timeIntervalSince(updated)
        guard elapsed > 0 else { return }
        tokens = min(Double(limit.count), tokens + elapsed * rate)
        updated = instant
    }
}
