import CScan

/// A validating JSON scanner over UTF-8 bytes that builds nothing it is not asked for.
///
/// The import hot path reads a handful of known keys per line: the scanner validates the
/// whole line (RFC 8259) but only decodes the strings the caller wants, and hands out the
/// byte range of any other value. ``JSONParser`` builds whole trees on top of it.
public struct JSONScanner {
    public let bytes: UnsafeBufferPointer<UInt8>
    public private(set) var position = 0
    /// Containers nested deeper than this are refused by ``skipValue(depth:)``.
    public let maximumDepth: Int
    /// A line feed is not white space but the end of the text: a value never spans lines, so a
    /// JSON Lines reader can scan from a line's start without finding its end first.
    public let lineFeedEnds: Bool

    public init(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int = 128, lineFeedEnds: Bool = false) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
        self.lineFeedEnds = lineFeedEnds
    }

    /// A string's contents (between the quotes) and whether it holds escapes.
    public struct StringToken {
        public var range: Range<Int>
        public var hasEscapes: Bool

        public init(range: Range<Int>, hasEscapes: Bool) {
            self.range = range
            self.hasEscapes = hasEscapes
        }
    }

    public func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? position, message: message)
    }

    public var atEnd: Bool { position >= bytes.count }

    @inline(__always)
    public func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    @inline(__always)
    public mutating func skipWhitespace() {
        // Most tokens follow at once or after one space: decide those without a loop.
        guard position < bytes.count, bytes[position] <= 0x20 else { return }
        skipWhitespaceRun()
    }

    private mutating func skipWhitespaceRun() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0D: position += 1
            case 0x0A where !lineFeedEnds: position += 1
            default: return
            }
        }
    }

    /// Consumes `byte` after optional white space.
    @inline(__always)
    public mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard peek() == byte else { throw error("expected \(what)") }
        position += 1
    }

    /// After a member: true when another follows (`,`), false at the closing `close`.
    @inline(__always)
    public mutating func nextMember(close: UInt8) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        guard let byte = peek() else { throw error(close == 0x7D ? "unterminated object" : "unterminated array") }
        position += 1
        if byte == 0x2C { return true }
        if byte == close { return false }
        throw error(close == 0x7D ? "expected ',' or '}'" : "expected ',' or ']'")
    }

    /// Whether the object or array just opened is empty (consumes the closing byte if so).
    public mutating func closesImmediately(_ close: UInt8) -> Bool {
        skipWhitespace()
        if peek() == close { position += 1; return true }
        return false
    }

    /// Reads a string token, validating escapes and control characters.
    ///
    /// String contents are most of the bytes of a record, and real text has escapes every few
    /// dozen bytes (`\"`, `\n`, `\u00e9`). A short string with nothing to look at before its
    /// quote (a key, an id) is read in one 16-byte step; any other goes to `CScan`, which reads
    /// it 64 bytes at a time as bit masks with the widest SIMD the processor has.
    public mutating func readString() throws(JSONSyntaxError) -> StringToken {
        skipWhitespace()
        guard peek() == 0x22 else { throw error("expected a string") }
        position += 1
        let start = position
        guard let base = bytes.baseAddress else { throw error("unterminated string", at: start - 1) }
        if start + 16 <= bytes.count {
            let masks = consentry_short_masks16(base + start)
            let quotes = masks.quotes
            if quotes != 0, masks.others & ((quotes & (0 &- quotes)) &- 1) == 0 {
                let end = start + quotes.trailingZeroBitCount
                position = end + 1
                return StringToken(range: start..<end, hasEscapes: false)
            }
        }
        let scan = consentry_scan_string(base, bytes.count, start)
        position = scan.offset
        switch Int(scan.status) {
        case CONSENTRY_STRING_OK:
            position += 1
            return StringToken(range: start..<scan.offset, hasEscapes: scan.hasEscapes != 0)
        case CONSENTRY_STRING_CONTROL: throw error("a control character must be escaped inside a string")
        case CONSENTRY_STRING_BAD_UNICODE: throw error("a \\u escape needs four hex digits")
        case CONSENTRY_STRING_UNKNOWN_ESCAPE: throw error("unknown escape")
        default: throw error("unterminated string", at: start - 1)
        }
    }

    /// The decoded text of a string token (surrogate pairs joined, UTF-8 validated).
    public func decode(_ token: StringToken) throws(JSONSyntaxError) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[token.range])
        if !token.hasEscapes {
            // ASCII is valid UTF-8 as it is, and most strings are: decoding it skips the
            // generic validation, which looks up type metadata on every call.
            if Self.isASCII(raw) { return String(decoding: raw, as: UTF8.self) }
            guard let text = String(validating: raw, as: UTF8.self) else { throw error("a string is not valid UTF-8", at: token.range.lowerBound) }
            return text
        }
        var decoded = [UInt8]()
        decoded.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            index += 1
            guard byte == 0x5C else { decoded.append(byte); continue }
            let escape = raw[index]
            index += 1
            switch escape {
            case 0x62: decoded.append(0x08)
            case 0x66: decoded.append(0x0C)
            case 0x6E: decoded.append(0x0A)
            case 0x72: decoded.append(0x0D)
            case 0x74: decoded.append(0x09)
            case 0x75:
                var scalar = Self.hex4(raw, at: index)
                index += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 6 <= raw.count, raw[index] == 0x5C, raw[index + 1] == 0x75,
                          case let low = Self.hex4(raw, at: index + 2), (0xDC00..<0xE000).contains(low)
                    else { throw error("a lone surrogate in \\u escape", at: token.range.lowerBound) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw error("a lone surrogate in \\u escape", at: token.range.lowerBound)
                }
                decoded.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default: decoded.append(escape)  // \" \\ \/ (readString admitted only valid escapes)
            }
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw error("a string is not valid UTF-8", at: token.range.lowerBound)
        }
        return text
    }

    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var union: UInt8 = 0
        for byte in bytes { union |= byte }
        return union < 0x80
    }

    private static func hex4(_ raw: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for byte in raw[index..<(index + 4)] {
            let digit: UInt8 = byte <= 0x39 ? byte - 0x30 : (byte | 0x20) - 0x57
            value = value * 16 + UInt32(digit)
        }
        return value
    }

    /// Whether a string token equals `literal` (an ASCII key), without decoding.
    public func token(_ token: StringToken, equals literal: StaticString) -> Bool {
        guard !token.hasEscapes, token.range.count == literal.utf8CodeUnitCount else { return false }
        let start = literal.utf8Start
        for offset in 0..<token.range.count where bytes[token.range.lowerBound + offset] != start[offset] { return false }
        return true
    }

    /// Reads `null` if it comes next.
    public mutating func readNull() -> Bool {
        skipWhitespace()
        guard position + 4 <= bytes.count, bytes[position] == 0x6E, bytes[position + 1] == 0x75,
              bytes[position + 2] == 0x6C, bytes[position + 3] == 0x6C else { return false }
        position += 4
        return true
    }

    /// Validates the next value without building it; returns its byte range.
    @discardableResult
    public mutating func skipValue(depth: Int = 0) throws(JSONSyntaxError) -> Range<Int> {
        guard depth < maximumDepth else { throw error("nested too deeply") }
        skipWhitespace()
        let start = position
        guard let byte = peek() else { throw error("unexpected end of input") }
        switch byte {
        case 0x7B:
            position += 1
            if !closesImmediately(0x7D) {
                repeat {
                    _ = try readString()
                    try expect(0x3A, "':' after a key")
                    try skipValue(depth: depth + 1)
                } while try nextMember(close: 0x7D)
            }
        case 0x5B:
            position += 1
            if !closesImmediately(0x5D) {
                repeat { try skipValue(depth: depth + 1) } while try nextMember(close: 0x5D)
            }
        case 0x22:
            _ = try readString()
        case 0x74: try literal("true")
        case 0x66: try literal("false")
        case 0x6E: try literal("null")
        case 0x2D, 0x30...0x39: try number()
        default: throw error("unexpected character")
        }
        return start..<position
    }

    /// The kind of the next value, for error messages.
    public func nextKindName() -> String {
        var copy = self
        copy.skipWhitespace()
        switch copy.peek() {
        case 0x7B: return "an object"
        case 0x5B: return "an array"
        case 0x22: return "a string"
        case 0x74, 0x66: return "a boolean"
        case 0x6E: return "null"
        default: return "a number"
        }
    }

    /// The value's bytes without insignificant white space (a valid value in, valid JSON out).
    public func compactText(_ range: Range<Int>) -> String {
        // Only an object or an array can hold white space outside strings.
        guard let first = range.first.map({ bytes[$0] }), first == 0x7B || first == 0x5B else {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        var out = [UInt8]()
        out.reserveCapacity(range.count)
        var inString = false
        var escaped = false
        for index in range {
            let byte = bytes[index]
            if inString {
                out.append(byte)
                if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
            } else {
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0D: continue
                case 0x22: inString = true; out.append(byte)
                default: out.append(byte)
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Fails unless only white space remains (up to the line feed, with `lineFeedEnds`).
    public mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        guard atEnd || (lineFeedEnds && bytes[position] == 0x0A) else { throw error("unexpected text after the object") }
    }

    private mutating func literal(_ text: StaticString) throws(JSONSyntaxError) {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of input") }
        for offset in 0..<count where bytes[position + offset] != text.utf8Start[offset] {
            throw error("unexpected character")
        }
        position += count
    }

    private mutating func number() throws(JSONSyntaxError) {
        if peek() == 0x2D { position += 1 }
        if peek() == 0x30 { position += 1 } else if digits() == 0 { throw error("a number needs digits") }
        if peek() == 0x2E {
            position += 1
            guard digits() > 0 else { throw error("a fraction needs digits") }
        }
        if peek() == 0x65 || peek() == 0x45 {
            position += 1
            if peek() == 0x2B || peek() == 0x2D { position += 1 }
            guard digits() > 0 else { throw error("an exponent needs digits") }
        }
    }

    /// Consumes a run of decimal digits; returns how many.
    @inline(__always)
    private mutating func digits() -> Int {
        let first = position
        // Ids and timestamps are long runs: 16 bytes a step while they fill one.
        if let base = bytes.baseAddress {
            while position + 16 <= bytes.count {
                let run = Int(consentry_leading_digits16(base + position))
                position += run
                if run < 16 { return position - first }
            }
        }
        while position < bytes.count, bytes[position] &- 0x30 < 10 { position += 1 }
        return position - first
    }
}
