import Foundation

/// A period the law counts: in days, or in calendar months.
///
/// Months are counted as Regulation (EEC, Euratom) No 1182/71 counts them, on UTC calendar dates:
/// a period of N months from a day ends on the same date N months later, or on the last day of
/// that month when the date does not exist there (received 31 January, one month: 28 February,
/// or 29 in a leap year; received 1 March: 1 April). The deadline keeps the time of day of the
/// instant it counts from, a little before the legal end of that day: a team that meets it
/// meets the law. Days are periods of 24 hours.
public enum Term: Sendable, Equatable, Hashable, CustomStringConvertible {
    case days(Int)
    case months(Int)

    /// The instant this term after `instant` ends.
    public func after(_ instant: Date) -> Date {
        switch self {
        case .days(let days):
            return instant.addingTimeInterval(TimeInterval(days) * 86_400)
        case .months(let months):
            let micros = Timestamp.microseconds(instant)
            let day = CivilDate(instant)
            let timeOfDay = micros - Int64(day.daysSinceEpoch) * 86_400_000_000
            let shifted = day.addingMonths(months)
            return Timestamp.fromMicroseconds(Int64(shifted.daysSinceEpoch) * 86_400_000_000 + timeOfDay)
        }
    }

    /// Whole days from `instant` to the end of this term (what the store records of an extension).
    public func days(after instant: Date) -> Int {
        Int((after(instant).timeIntervalSince(instant) / 86_400).rounded())
    }

    /// The longest this term can be, in days: the bound an API schema can state.
    public var maximumDays: Int {
        switch self {
        case .days(let days): days
        case .months(let months): months * 31
        }
    }

    /// "30 days", "1 month", "2 months".
    public var description: String {
        switch self {
        case .days(let count): count == 1 ? "1 day" : "\(count) days"
        case .months(let count): count == 1 ? "1 month" : "\(count) months"
        }
    }

    /// Reads "30 days", "1 month", "2 months" (also "1 day", "3 month").
    public init?(_ text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let count = Int(parts[0]), count >= 0 else { return nil }
        switch parts[1] {
        case "day", "days": self = .days(count)
        case "month", "months": self = .months(count)
        default: return nil
        }
    }

    public var count: Int {
        switch self { case .days(let count), .months(let count): count }
    }
}

extension CivilDate {
    /// The same date `months` later (earlier when negative), or the last day of that month when
    /// the date does not exist there (31 January + 1 month = 28 or 29 February).
    public func addingMonths(_ months: Int) -> CivilDate {
        let index = year * 12 + (month - 1) + months
        let (newYear, newMonth) = (index / 12, index % 12 + 1)
        var newDay = day
        while CivilDate(year: newYear, month: newMonth, day: newDay) == nil { newDay -= 1 }
        return CivilDate(year: newYear, month: newMonth, day: newDay)!
    }
}
