import Foundation

/// Reads and writes instants as RFC 3339 text, the only time format Consentry speaks.
///
/// Parsing accepts `2025-11-04T10:00:00Z`, fractional seconds, numeric offsets
/// (`+02:00`), and a bare date `2025-11-04` meaning 00:00 UTC. Writing always gives UTC with `Z`.
public enum Timestamp {
    /// The instant `text` names, or nil when it is not RFC 3339 or a date.
    public static func parse(_ text: some StringProtocol) -> Date? {
        var string = String(text)
        return string.withUTF8 { parse(utf8: $0) }
    }

    /// The microseconds `text` names, exactly (no trip through `Date`); nil when it is not RFC
    /// 3339 or a date.
    public static func microseconds(_ text: some StringProtocol) -> Int64? {
        var string = String(text)
        return string.withUTF8 { microseconds(utf8: $0) }
    }

    /// The same, from UTF-8 bytes.
    public static func parse(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        microseconds(utf8: bytes).map(fromMicroseconds)
    }

    /// Microseconds since 1970-01-01T00:00:00Z of the instant `bytes` name, without going
    /// through `Date` (the training-data gate reads one per record).
    public static func microseconds(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        if bytes.count == 10 { return CivilDate(utf8: bytes)?.startOfDayMicroseconds }
        guard bytes.count >= 20, let date = CivilDate(utf8: UnsafeBufferPointer(rebasing: bytes[0..<10])),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let hour = Digits.value(bytes, 11..<13), hour < 24,
              let minute = Digits.value(bytes, 14..<16), minute < 60,
              let second = Digits.value(bytes, 17..<19), second < 60
        else { return nil }
        var index = 19
        var micros: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds: Int64 = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                  let oh = Digits.value(bytes, (index + 1)..<(index + 3)), oh < 24,
                  let om = Digits.value(bytes, (index + 4)..<(index + 6)), om < 60
            else { return nil }
            offsetSeconds = Int64(oh * 3600 + om * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let seconds = date.daysSinceEpoch * 86_400 + Int64(hour * 3600 + minute * 60 + second) - offsetSeconds
        return seconds * 1_000_000 + micros
    }

    /// `instant` in UTC, e.g. `2025-11-04T10:00:00Z`; fractional seconds only when present.
    public static func format(_ instant: Date) -> String {
        let micros = microseconds(instant)
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        var fraction = Int(micros - seconds * 1_000_000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = CivilDate.civil(fromDays: days)
        var bytes = [UInt8](repeating: 0, count: 20)
        func put(_ value: Int, at offset: Int, width: Int) {
            var value = value
            for position in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[position] = UInt8(48 + value % 10)
                value /= 10
            }
        }
        put(year, at: 0, width: 4)
        bytes[4] = 0x2D
        put(month, at: 5, width: 2)
        bytes[7] = 0x2D
        put(day, at: 8, width: 2)
        bytes[10] = UInt8(ascii: "T")
        put(secondOfDay / 3600, at: 11, width: 2)
        bytes[13] = 0x3A
        put(secondOfDay / 60 % 60, at: 14, width: 2)
        bytes[16] = 0x3A
        put(secondOfDay % 60, at: 17, width: 2)
        if fraction != 0 {
            bytes[19] = 0x2E
            var digits = 6
            while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
            bytes += [UInt8](repeating: 0, count: digits)
            put(fraction, at: 20, width: digits)
            bytes.append(UInt8(ascii: "Z"))
        } else {
            bytes[19] = UInt8(ascii: "Z")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Microseconds since 1970-01-01T00:00:00Z, the stores' representation of an instant.
    public static func microseconds(_ instant: Date) -> Int64 {
        Int64((instant.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public static func fromMicroseconds(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(micros) / 1_000_000)
    }
}
