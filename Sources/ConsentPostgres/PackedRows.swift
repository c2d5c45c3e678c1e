import ConsentCore
import NIOCore
import PostgresNIO

/// Rows the server packs into one text value per chunk with `string_agg`: fields separated by
/// U+001F, rows by U+001E.
///
/// Bulk reads (decision snapshots of a million members) use it because PostgresNIO spends a
/// few microseconds on every row it delivers: a million rows arrive as a few hundred values,
/// and the bytes are split here without making a string per field. The separators are control
/// characters, which no stored id, date, country, number or channel contains; a row with the
/// wrong number of fields, or a chunk whose row count differs from the count the server sent
/// alongside, is an error, never a guess.
enum PackedRows {
    /// `string_agg` of `fields` joined by U+001F, as SQL.
    static func row(_ fields: String...) -> String { fields.joined(separator: " || chr(31) || ") }

    /// Calls `body` with each row's fields as byte ranges of `bytes`; returns the number of rows.
    static func forEach(in cell: PostgresCell, fields count: Int,
                        _ body: (UnsafeRawBufferPointer, [Range<Int>]) throws -> Void) throws -> Int {
        guard let buffer = cell.bytes else { return 0 }
        return try buffer.withUnsafeReadableBytes { bytes in
            var fields = [Range<Int>](repeating: 0..<0, count: count)
            var rows = 0
            var field = 0
            var start = 0
            for index in 0...bytes.count {
                let byte: UInt8 = index == bytes.count ? 0x1E : bytes[index]
                guard byte == 0x1E || byte == 0x1F else { continue }
                guard field < count else { throw ConsentError.storeUnavailable("packed row \(rows + 1) does not have \(count) fields") }
                fields[field] = start..<index
                field += 1
                start = index + 1
                if byte == 0x1E {
                    guard field == count else { throw ConsentError.storeUnavailable("packed row \(rows + 1) does not have \(count) fields") }
                    try body(bytes, fields)
                    rows += 1
                    field = 0
                }
            }
            return rows
        }
    }

    static func int64(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64? {
        guard !range.isEmpty, range.count <= 19 else { return nil }
        var value: Int64 = 0
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < range.upperBound else { return nil }
        while index < range.upperBound {
            let digit = bytes[index] &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
            index += 1
        }
        return negative ? -value : value
    }

    static func string(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
