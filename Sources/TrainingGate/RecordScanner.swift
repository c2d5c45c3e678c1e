import ConsentCore
import Foundation

/// Reads one JSON Lines record on its bytes: checks that it is one valid JSON object, and finds
/// the member field (and the time field) among its top-level keys, wherever they are.
///
/// Strings are skipped eight bytes at a time (SWAR), so text that merely looks like a field
/// (`"text": "say \"member_id\": 1"`) is never mistaken for one: only keys of the outermost
/// object count. Bytes inside strings are not decoded, so invalid UTF-8 there passes through.
/// Nesting deeper than ``maximumDepth`` is refused as malformed.
struct RecordScanner {
    static let maximumDepth = 512

    /// The member field name and the time field name, as raw UTF-8 (keys with escapes are
    /// decoded before comparing).
    let memberField: [UInt8]
    let timeField: [UInt8]?

    enum ValueKind { case none, string, escapedString, integer, number, other }

    /// What one scan found. Offsets are into the line.
    struct Found {
        var memberKind = ValueKind.none
        var memberStart = 0
        var memberEnd = 0
        var memberCount = 0
        var timeKind = ValueKind.none
        var timeStart = 0
        var timeEnd = 0
    }

    /// Scans `line` (without its newline). Returns nil when it is not one valid JSON object.
    @inline(__always)
    func scan(_ line: UnsafePointer<UInt8>, _ count: Int, stack: UnsafeMutablePointer<Bool>) -> Found? {
        var found = Found()
        var i = 0
        skipSpace(line, count, &i)
        guard i < count, line[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        var depth = 1
        stack[1] = false  // false: object, true: array
        // Which top-level field the next value belongs to: 0 none, 1 member, 2 time.
        var field = 0

        // A container was just opened: it may close at once.
        var justOpened = true
        while true {
            // Expect a key (in an object) or a value (in an array), or the close after an open.
            skipSpace(line, count, &i)
            guard i < count else { return nil }
            let inArray = stack[depth]
            if justOpened {
                justOpened = false
                if line[i] == (inArray ? UInt8(ascii: "]") : UInt8(ascii: "}")) {
                    i += 1
                    depth -= 1
                    if !afterValue(line, count, &i, &depth, stack) { return nil }
                    if depth == 0 { return found }
                    continue
                }
            }
            if !inArray {
                guard line[i] == UInt8(ascii: "\"") else { return nil }
                let keyStart = i + 1
                guard let (keyEnd, escaped) = skipString(line, count, &i) else { return nil }
                field = 0
                if depth == 1 {
                    if keyMatches(line + keyStart, keyEnd - keyStart, escaped, memberField) {
                        field = 1
                    } else if let timeField, keyMatches(line + keyStart, keyEnd - keyStart, escaped, timeField) {
                        field = 2
                    }
                }
                skipSpace(line, count, &i)
                guard i < count, line[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                skipSpace(line, count, &i)
                guard i < count else { return nil }
            }
            // A value.
            let start = i
            var kind = ValueKind.other
            switch line[i] {
            case UInt8(ascii: "\""):
                guard let (end, escaped) = skipString(line, count, &i) else { return nil }
                if field != 0 { record(&found, field, escaped ? .escapedString : .string, start + 1, end) }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if field == 1 { found.memberCount += 1; found.memberKind = .other }
                if field == 2 { found.timeKind = .other }
                guard depth < Self.maximumDepth else { return nil }
                depth += 1
                stack[depth] = line[i] == UInt8(ascii: "[")
                i += 1
                justOpened = true
                field = 0
                continue
            case UInt8(ascii: "t"):
                guard literal(line, count, &i, "true") else { return nil }
            case UInt8(ascii: "f"):
                guard literal(line, count, &i, "false") else { return nil }
            case UInt8(ascii: "n"):
                guard literal(line, count, &i, "null") else { return nil }
            default:
                guard let integer = number(line, count, &i) else { return nil }
                kind = integer ? .integer : .number
                if field != 0 { record(&found, field, kind, start, i) }
                field = 0
                if !afterValue(line, count, &i, &depth, stack) { return nil }
                if depth == 0 { return found }
                continue
            }
            if field != 0, line[start] != UInt8(ascii: "\"") { record(&found, field, .other, start, i) }
            field = 0
            if !afterValue(line, count, &i, &depth, stack) { return nil }
            if depth == 0 { return found }
        }
    }

    @inline(__always)
    private func record(_ found: inout Found, _ field: Int, _ kind: ValueKind, _ start: Int, _ end: Int) {
        if field == 1 {
            found.memberCount += 1
            found.memberKind = kind
            found.memberStart = start
            found.memberEnd = end
        } else {
            found.timeKind = kind
            found.timeStart = start
            found.timeEnd = end
        }
    }

    /// After a value: a comma (another key or element follows), or closes; at depth 0 only
    /// trailing whitespace may follow.
    @inline(__always)
    private func afterValue(_ line: UnsafePointer<UInt8>, _ count: Int, _ i: inout Int, _ depth: inout Int,
                            _ stack: UnsafeMutablePointer<Bool>) -> Bool {
        while true {
            skipSpace(line, count, &i)
            if depth == 0 { return i == count }
            guard i < count else { return false }
            switch line[i] {
            case UInt8(ascii: ","):
                i += 1
                return true
            case UInt8(ascii: "}"):
                guard !stack[depth] else { return false }
            case UInt8(ascii: "]"):
                guard stack[depth] else { return false }
            default:
                return false
            }
            i += 1
            depth -= 1
        }
    }

    @inline(__always)
    private func skipSpace(_ line: UnsafePointer<UInt8>, _ count: Int, _ i: inout Int) {
        while i < count {
            let byte = line[i]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            i += 1
        }
    }

    /// Skips the string whose opening quote is at `i`; leaves `i` after the closing quote.
    /// - Returns: the offset of the closing quote and whether the string holds escapes; nil
    ///   when the string is unterminated, holds a raw control character or a bad escape.
    @inline(__always)
    private func skipString(_ line: UnsafePointer<UInt8>, _ count: Int, _ i: inout Int) -> (Int, Bool)? {
        var j = i + 1
        var escaped = false
        let raw = UnsafeRawPointer(line)
        let quotes = SIMD16<UInt8>(repeating: 0x22)
        let backslashes = SIMD16<UInt8>(repeating: 0x5C)
        let controls = SIMD16<UInt8>(repeating: 0x20)
        while true {
            // Sixteen bytes at a time while none is a quote, a backslash or a control character,
            while j + 16 <= count {
                let chunk = raw.loadUnaligned(fromByteOffset: j, as: SIMD16<UInt8>.self)
                if any((chunk .== quotes) .| (chunk .== backslashes) .| (chunk .< controls)) { break }
                j += 16
            }
            // then eight at a time to find which one it is.
            while j + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)
                let quote = word ^ 0x2222_2222_2222_2222
                let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
                let ones: UInt64 = 0x0101_0101_0101_0101
                let highs: UInt64 = 0x8080_8080_8080_8080
                let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
                    | ((word &- 0x2020_2020_2020_2020) & ~word)
                let hits = special & highs
                if hits != 0 {
                    j += hits.trailingZeroBitCount >> 3
                    break
                }
                j += 8
            }
            guard j < count else { return nil }
            let byte = line[j]
            if byte == UInt8(ascii: "\"") {
                i = j + 1
                return (j, escaped)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                guard j + 1 < count else { return nil }
                switch line[j + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    j += 2
                case UInt8(ascii: "u"):
                    guard j + 5 < count, isHex(line[j + 2]), isHex(line[j + 3]), isHex(line[j + 4]), isHex(line[j + 5])
                    else { return nil }
                    j += 6
                default:
                    return nil
                }
                continue
            }
            if byte < 0x20 { return nil }
            j += 1
        }
    }

    @inline(__always)
    private func isHex(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || ((byte | 0x20) >= 97 && (byte | 0x20) <= 102)
    }

    @inline(__always)
    private func literal(_ line: UnsafePointer<UInt8>, _ count: Int, _ i: inout Int, _ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard i + length <= count, memcmp(line + i, word.utf8Start, length) == 0 else { return false }
        i += length
        return true
    }

    /// A JSON number at `i`. - Returns: whether it is an integer, nil when it is not a number.
    @inline(__always)
    private func number(_ line: UnsafePointer<UInt8>, _ count: Int, _ i: inout Int) -> Bool? {
        var j = i
        if j < count, line[j] == UInt8(ascii: "-") { j += 1 }
        guard j < count, line[j] >= 48, line[j] <= 57 else { return nil }
        if line[j] == 48 {
            j += 1
        } else {
            while j < count, line[j] >= 48, line[j] <= 57 { j += 1 }
        }
        var integer = true
        if j < count, line[j] == UInt8(ascii: ".") {
            integer = false
            j += 1
            let digits = j
            while j < count, line[j] >= 48, line[j] <= 57 { j += 1 }
            guard j > digits else { return nil }
        }
        if j < count, line[j] | 0x20 == UInt8(ascii: "e") {
            integer = false
            j += 1
            if j < count, line[j] == UInt8(ascii: "+") || line[j] == UInt8(ascii: "-") { j += 1 }
            let digits = j
            while j < count, line[j] >= 48, line[j] <= 57 { j += 1 }
            guard j > digits else { return nil }
        }
        i = j
        return integer
    }

    private func keyMatches(_ key: UnsafePointer<UInt8>, _ length: Int, _ escaped: Bool, _ name: [UInt8]) -> Bool {
        if !escaped {
            return length == name.count && name.withUnsafeBufferPointer { memcmp(key, $0.baseAddress!, length) == 0 }
        }
        var decoded: [UInt8] = []
        guard JSONStringDecoding.decode(key, length, into: &decoded) else { return false }
        return decoded == name
    }
}

/// Decodes the escapes of a JSON string's contents into UTF-8 (lone surrogates become WTF-8
/// bytes, which match no member id).
enum JSONStringDecoding {
    static func decode(_ bytes: UnsafePointer<UInt8>, _ length: Int, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= length else { return nil }
            var value: UInt32 = 0
            for k in 0..<4 {
                let byte = bytes[at + k]
                let digit: UInt32
                switch byte {
                case 48...57: digit = UInt32(byte - 48)
                case 65...70: digit = UInt32(byte - 55)
                case 97...102: digit = UInt32(byte - 87)
                default: return nil
                }
                value = value << 4 | digit
            }
            return value
        }
        while i < length {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 1 < length else { return false }
            let escape = bytes[i + 1]
            i += 2
            switch escape {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else { return false }
                i += 4
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= length, bytes[i] == UInt8(ascii: "\\"),
                   bytes[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                appendUTF8(scalar, to: &out)
            default:
                return false
            }
        }
        return true
    }

    private static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80: out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6)); out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12)); out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18)); out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F)); out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
