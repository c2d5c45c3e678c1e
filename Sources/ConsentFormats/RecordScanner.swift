import Foundation

/// Reads one JSON Lines record on its bytes: checks, with ``JSONScanner``, that it is one valid
/// JSON object, and finds the member field (and the time, category and reservation fields, when
/// asked for) among its top-level keys, wherever they are.
///
/// Only keys of the outermost object count, so text that merely looks like a field
/// (`"text": "say \"member_id\": 1"`) or a nested `member_id` is never mistaken for one. Bytes
/// inside strings are not decoded, so invalid UTF-8 there passes through. Nesting deeper than
/// ``maximumDepth`` is refused as malformed.
public struct RecordScanner {
    public static let maximumDepth = 512

    /// The field names (keys with escapes are decoded before comparing).
    public let memberField: [UInt8]
    public let timeField: [UInt8]?
    public let categoryField: [UInt8]?
    public let reservationField: [UInt8]?
    public let textField: [UInt8]?

    public init(memberField: [UInt8], timeField: [UInt8]? = nil, categoryField: [UInt8]? = nil, reservationField: [UInt8]? = nil,
                textField: [UInt8]? = nil) {
        self.textField = textField
        self.memberField = memberField
        self.timeField = timeField
        self.categoryField = categoryField
        self.reservationField = reservationField
    }

    public enum ValueKind: Sendable { case none, string, escapedString, integer, number, other }

    /// Where a field's value is in the line: a string's contents, a number's text, or the range
    /// of anything else.
    public struct Value: Sendable {
        public var kind = ValueKind.none
        public var start = 0
        public var end = 0
    }

    /// What one scan found. Offsets are into the line.
    public struct Found: Sendable {
        public var member = Value()
        /// How many times the member field occurs (a record must name its member once).
        public var memberCount = 0
        public var time = Value()
        public var category = Value()
        public var reservation = Value()
        public var text = Value()

        public init() {}
    }

    /// Scans the record starting at `start`, with `available` bytes up to the end of the block,
    /// finding its line's end on the way: the JSON scan stops at the line feed ending a valid
    /// record, so only a malformed line needs a separate search. Fills `found` (filled in
    /// place: a line is scanned millions of times, and what it finds is too big to copy for
    /// free) and returns whether the line is a valid record, and its length without its line feed.
    public func scanLine(_ start: UnsafePointer<UInt8>, _ available: Int, into found: inout Found) -> (valid: Bool, length: Int) {
        var scanner = JSONScanner(UnsafeBufferPointer(start: start, count: available), maximumDepth: Self.maximumDepth,
                                  lineFeedEnds: true)
        found = Found()
        do {
            try scan(&scanner, into: &found)
            return (true, scanner.position)
        } catch {
            guard let newline = memchr(start, 0x0A, available) else { return (false, available) }
            return (false, start.distance(to: newline.assumingMemoryBound(to: UInt8.self)))
        }
    }

    private func scan(_ scanner: inout JSONScanner, into found: inout Found) throws(JSONSyntaxError) {
        try scanner.expect(0x7B, "an object")
        if !scanner.closesImmediately(0x7D) {
            repeat {
                let key = try scanner.readString()
                try scanner.expect(0x3A, "':' after a key")
                let field = which(key, in: scanner)
                guard field != .none else {
                    try scanner.skipValue(depth: 1)
                    continue
                }
                let (kind, range) = try value(&scanner)
                switch field {
                case .member:
                    found.memberCount += 1
                    found.member = Value(kind: kind, start: range.lowerBound, end: range.upperBound)
                case .time:
                    found.time = Value(kind: kind, start: range.lowerBound, end: range.upperBound)
                case .category:
                    found.category = Value(kind: kind, start: range.lowerBound, end: range.upperBound)
                case .reservation:
                    found.reservation = Value(kind: kind, start: range.lowerBound, end: range.upperBound)
                case .text:
                    found.text = Value(kind: kind, start: range.lowerBound, end: range.upperBound)
                case .none:
                    break
                }
            } while try scanner.nextMember(close: 0x7D)
        }
        try scanner.expectEnd()
    }

    /// A field's value: a string's contents, a number's text, or the range of anything else.
    private func value(_ scanner: inout JSONScanner) throws(JSONSyntaxError) -> (ValueKind, Range<Int>) {
        scanner.skipWhitespace()
        if scanner.peek() == 0x22 {
            let token = try scanner.readString()
            return (token.hasEscapes ? .escapedString : .string, token.range)
        }
        let first = scanner.peek()
        let range = try scanner.skipValue(depth: 1)
        guard let first, first == 0x2D || (first >= 0x30 && first <= 0x39) else { return (.other, range) }
        let integer = !scanner.bytes[range].contains { $0 == 0x2E || $0 | 0x20 == 0x65 }
        return (integer ? .integer : .number, range)
    }

    private enum Field { case none, member, time, category, reservation, text }

    /// Which of the wanted fields `key` names, the member field first.
    @inline(__always)
    private func which(_ key: JSONScanner.StringToken, in scanner: JSONScanner) -> Field {
        if matches(key, memberField, in: scanner) { return .member }
        if let timeField, matches(key, timeField, in: scanner) { return .time }
        if let categoryField, matches(key, categoryField, in: scanner) { return .category }
        if let reservationField, matches(key, reservationField, in: scanner) { return .reservation }
        if let textField, matches(key, textField, in: scanner) { return .text }
        return .none
    }

    @inline(__always)
    private func matches(_ key: JSONScanner.StringToken, _ name: [UInt8], in scanner: JSONScanner) -> Bool {
        guard key.hasEscapes else {
            return key.range.count == name.count
                && name.withUnsafeBufferPointer { memcmp(scanner.bytes.baseAddress! + key.range.lowerBound, $0.baseAddress!, name.count) == 0 }
        }
        return (try? scanner.decode(key)).map { $0.utf8.elementsEqual(name) } ?? false
    }
}
