import Foundation

/// A calendar date without a time of day (proleptic Gregorian, UTC), such as a birth date.
public struct CivilDate: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Accepts a real calendar date (29 February only in leap years); nil otherwise.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= CivilDate.daysIn(month: month, year: year)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The UTC calendar date of `instant`.
    public init(_ instant: Date) {
        let seconds = Int64((instant.timeIntervalSince1970).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        (year, month, day) = CivilDate.civil(fromDays: days)
    }

    /// Parses `YYYY-MM-DD`.
    public init?(parsing text: some StringProtocol) {
        self.init(parsing: String(text))
    }

    /// The same for a `String` (not generic, so callers in other modules need no specialization).
    public init?(parsing text: String) {
        var string = text
        guard let date = string.withUTF8({ CivilDate(utf8: $0) }) else { return nil }
        self = date
    }

    /// Parses `YYYY-MM-DD` from UTF-8 bytes.
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = Digits.value(bytes, 0..<4), let month = Digits.value(bytes, 5..<7),
              let day = Digits.value(bytes, 8..<10)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// 00:00:00 UTC on this date.
    public var startOfDay: Date {
        Date(timeIntervalSince1970: TimeInterval(daysSinceEpoch) * 86_400)
    }

    /// 00:00:00 UTC on this date, in microseconds since the epoch.
    public var startOfDayMicroseconds: Int64 { daysSinceEpoch * 86_400_000_000 }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int64 { CivilDate.days(fromCivil: year, month, day) }

    /// Whole years from `self` (a birth date) to `date`. A 29 February birthday is reached on
    /// 1 March in common years, because (2, 28) still sorts before (2, 29).
    public func age(on date: CivilDate) -> Int {
        let beforeBirthday = (date.month, date.day) < (month, day)
        return date.year - year - (beforeBirthday ? 1 : 0)
    }

    public var description: String {
        guard (0...9999).contains(year), (0...99).contains(month), (0...99).contains(day) else {
            return Digits.padded(year, 4) + "-" + Digits.padded(month, 2) + "-" + Digits.padded(day, 2)
        }
        // The usual case in one allocation-free step (imports format millions of dates).
        return String(unsafeUninitializedCapacity: 10) { out in
            for (offset, (value, width)) in [(year, 4), (month, 2), (day, 2)].enumerated() {
                let end = [4, 7, 10][offset]
                var rest = value
                for index in stride(from: end - 1, through: end - width, by: -1) {
                    out[index] = UInt8(48 + rest % 10)
                    rest /= 10
                }
                if end < 10 { out[end] = UInt8(ascii: "-") }
            }
            return 10
        }
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days: exact, branch-light integer arithmetic.
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}

enum Digits {
    static func value(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.upperBound <= bytes.count else { return nil }
        var result = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= 48, byte <= 57 else { return nil }
            result = result * 10 + Int(byte - 48)
        }
        return result
    }

    static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
