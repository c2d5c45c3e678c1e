import ConsentCore
import Foundation

/// The JSON Lines formats of `consentry import members` and `consentry import consents`.
///
/// Each line is validated as a whole (strict JSON, known fields only, each at most once) and
/// read in one pass without building a tree: imports run at hundreds of thousands of lines a second.
public enum ImportRecords {
    static let memberFields = "birth_date, country, data, id, notified_at, valid_from"
    static let consentFields = "at, channel, choice, member"

    /// `{"id": "...", "birth_date": "2001-04-12", "country": "DE", "notified_at": "...", "data": {...}}`,
    /// with `"valid_from"` (an instant or a date) on a line that corrects the past.
    public static func member(_ bytes: UnsafeBufferPointer<UInt8>, source: String, line: Int) -> Result<MemberRecord, ConsentError> {
        var reader = LineObject(bytes: bytes, source: source, line: line)
        return reader.read { reader throws(ConsentError) -> MemberRecord in
            var id: MemberID?
            var country: CountryCode?
            var birthDate: CivilDate?
            var notifiedAt: Date?
            var data: [Category: String] = [:]
            var validFrom: Date?
            try reader.forEachField { reader, key throws(ConsentError) in
                if reader.matches(key, "id") {
                    try reader.once(0)
                    id = try reader.memberID("id")
                } else if reader.matches(key, "country") {
                    try reader.once(1)
                    let text = try reader.string("country", expected: "a string such as \"DE\"")
                    guard let code = CountryCode(text) else {
                        throw reader.fail("country", "\(JSONWriter.string(text)) is not an ISO 3166-1 alpha-2 code")
                    }
                    country = code
                } else if reader.matches(key, "birth_date") {
                    try reader.once(2)
                    let context = reader
                    birthDate = try reader.optionalBytes("birth_date", expected: "a date string or null") { bytes, text throws(ConsentError) in
                        guard let date = CivilDate(utf8: bytes) else {
                            throw context.fail("birth_date", "\(JSONWriter.string(text())) is not a date YYYY-MM-DD")
                        }
                        return date
                    }
                } else if reader.matches(key, "notified_at") {
                    try reader.once(3)
                    notifiedAt = try reader.optionalInstant("notified_at")
                } else if reader.matches(key, "data") {
                    try reader.once(4)
                    data = try reader.categories()
                } else if reader.matches(key, "valid_from") {
                    try reader.once(5)
                    validFrom = try reader.optionalInstant("valid_from")
                } else {
                    throw reader.fail(try reader.decode(key), "unknown field; expected \(memberFields)")
                }
            }
            guard let id else { throw reader.fail("id", "is required") }
            guard let country else { throw reader.fail("country", "is required") }
            return MemberRecord(member: Member(id: id, birthDate: birthDate, country: country, notifiedAt: notifiedAt), data: data,
                                validFrom: validFrom)
        }
    }

    /// `{"member": "...", "choice": "off", "at": "2025-10-01T12:00:00Z", "channel": "web"}`
    public static func consent(_ bytes: UnsafeBufferPointer<UInt8>, source: String, line: Int, actor: String) -> Result<ConsentEvent, ConsentError> {
        var reader = LineObject(bytes: bytes, source: source, line: line)
        return reader.read { reader throws(ConsentError) -> ConsentEvent in
            var member: MemberID?
            var choice: Choice?
            var at: Date?
            var channel = Channel.import
            try reader.forEachField { reader, key throws(ConsentError) in
                if reader.matches(key, "member") {
                    try reader.once(0)
                    member = try reader.memberID("member")
                } else if reader.matches(key, "choice") {
                    try reader.once(1)
                    guard let parsed = Choice(rawValue: try reader.string("choice", expected: "\"on\" or \"off\"")) else {
                        throw reader.fail("choice", "must be \"on\" or \"off\"")
                    }
                    choice = parsed
                } else if reader.matches(key, "at") {
                    try reader.once(2)
                    at = try reader.optionalInstant("at")
                } else if reader.matches(key, "channel") {
                    try reader.once(3)
                    let text = try reader.string("channel", expected: "a string")
                    guard let parsed = Channel(rawValue: text) else {
                        throw reader.fail("channel", "\(JSONWriter.string(text)) must be one of \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    channel = parsed
                } else {
                    throw reader.fail(try reader.decode(key), "unknown field; expected \(consentFields)")
                }
            }
            guard let member else { throw reader.fail("member", "is required") }
            guard let choice else { throw reader.fail("choice", "is required") }
            guard let at else { throw reader.fail("at", "is required") }
            if channel == .gpc && choice == .on {
                throw reader.fail("choice", "a gpc choice is always off: the signal can only opt out")
            }
            return ConsentEvent(member: member, choice: choice, channel: channel, at: at, actor: actor)
        }
    }
}

/// Reads the fields of one line's object, turning every problem into `FILE:LINE: field: message`.
struct LineObject {
    var scanner: JSONScanner
    let source: String
    let line: Int
    private var seen: UInt32 = 0
    private var currentKey = ""

    init(bytes: UnsafeBufferPointer<UInt8>, source: String, line: Int) {
        scanner = JSONScanner(bytes)
        self.source = source
        self.line = line
    }

    func fail(_ field: String, _ message: String) -> ConsentError {
        .invalidRecord(source: source, line: line, field: field, message: message)
    }

    func syntax(_ error: JSONSyntaxError) -> ConsentError {
        .invalidRecord(source: source, line: line, field: "", message: error.description)
    }

    mutating func read<Record>(_ body: (inout LineObject) throws(ConsentError) -> Record) -> Result<Record, ConsentError> {
        Result { () throws(ConsentError) -> Record in try body(&self) }
    }

    /// Calls `body` with each key of the line's object; the body must consume the value.
    mutating func forEachField(_ body: (inout LineObject, JSONScanner.StringToken) throws(ConsentError) -> Void) throws(ConsentError) {
        do {
            scanner.skipWhitespace()
            guard scanner.peek() == 0x7B else { throw scanner.error("a line must hold one JSON object") }
            try scanner.expect(0x7B, "'{'")
            if !scanner.closesImmediately(0x7D) {
                repeat {
                    let key = try scanner.readString()
                    try scanner.expect(0x3A, "':' after a key")
                    try body(&self, key)
                } while try scanner.nextMember(close: 0x7D)
            }
            try scanner.expectEnd()
        } catch let error as JSONSyntaxError {
            throw syntax(error)
        } catch let error as ConsentError {
            throw error
        } catch {
            throw syntax(JSONSyntaxError(offset: 0, message: "\(error)"))
        }
    }

    func matches(_ key: JSONScanner.StringToken, _ name: StaticString) -> Bool { scanner.token(key, equals: name) }

    func decode(_ key: JSONScanner.StringToken) throws(ConsentError) -> String {
        do { return try scanner.decode(key) } catch { throw syntax(error) }
    }

    /// Refuses a field seen before on this line.
    mutating func once(_ bit: UInt32) throws(ConsentError) {
        guard seen & (1 << bit) == 0 else {
            throw fail(String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[lastKeyRange()]), as: UTF8.self), "appears twice")
        }
        seen |= 1 << bit
    }

    private func lastKeyRange() -> Range<Int> {
        // The key just read ends right before the ':' before the current position.
        var end = scanner.position - 1
        while end > 0 && scanner.bytes[end] != 0x3A { end -= 1 }
        while end > 0 && scanner.bytes[end] != 0x22 { end -= 1 }
        var start = end - 1
        while start > 0 && scanner.bytes[start] != 0x22 { start -= 1 }
        return (start + 1)..<end
    }

    /// A string value, else "must be <expected>, not <kind>".
    mutating func string(_ field: String, expected: String) throws(ConsentError) -> String {
        scanner.skipWhitespace()
        guard scanner.peek() == 0x22 else { throw fail(field, "must be \(expected), not \(scanner.nextKindName())") }
        do { return try scanner.decode(try scanner.readString()) } catch { throw syntax(error) }
    }

    mutating func memberID(_ field: String) throws(ConsentError) -> MemberID {
        let text = try string(field, expected: "a string")
        guard let id = MemberID(text) else { throw fail(field, "must be 1 to 256 bytes without control characters") }
        return id
    }

    /// A string or null; the string's bytes are handed to `parse` (with its text for messages).
    mutating func optionalBytes<T>(_ field: String, expected: String,
                                   _ parse: (UnsafeBufferPointer<UInt8>, () -> String) throws(ConsentError) -> T) throws(ConsentError) -> T? {
        if scanner.readNull() { return nil }
        scanner.skipWhitespace()
        guard scanner.peek() == 0x22 else { throw fail(field, "must be \(expected), not \(scanner.nextKindName())") }
        let token: JSONScanner.StringToken
        do { token = try scanner.readString() } catch { throw syntax(error) }
        if token.hasEscapes {
            let decoded = try decode(token)
            var text = decoded
            return try text.withUTF8 { bytes in Result { () throws(ConsentError) in try parse(bytes, { decoded }) } }.get()
        }
        let bytes = UnsafeBufferPointer(rebasing: scanner.bytes[token.range])
        return try parse(bytes) { String(decoding: bytes, as: UTF8.self) }
    }

    mutating func optionalInstant(_ field: String) throws(ConsentError) -> Date? {
        let source = self
        return try optionalBytes(field, expected: "an RFC 3339 string") { bytes, text throws(ConsentError) in
            guard let date = Timestamp.parse(utf8: bytes) else {
                throw source.fail(field, "\(JSONWriter.string(text())) is not an RFC 3339 instant or a date")
            }
            return date
        }
    }

    /// `data`: an object of taxonomy categories to any JSON values (kept as compact text), or null.
    mutating func categories() throws(ConsentError) -> [Category: String] {
        if scanner.readNull() { return [:] }
        scanner.skipWhitespace()
        guard scanner.peek() == 0x7B else { throw fail("data", "must be an object of categories, not \(scanner.nextKindName())") }
        var data: [Category: String] = [:]
        data.reserveCapacity(8)
        do {
            try scanner.expect(0x7B, "'{'")
            if !scanner.closesImmediately(0x7D) {
                repeat {
                    let token = try scanner.readString()
                    let named = token.hasEscapes ? nil : Category(utf8: UnsafeBufferPointer(rebasing: scanner.bytes[token.range]))
                    guard let category = try named ?? Category(rawValue: scanner.decode(token)) else {
                        throw fail("data.\(try scanner.decode(token))", "is not a data category of the taxonomy")
                    }
                    guard data[category] == nil else { throw fail("data.\(category.rawValue)", "appears twice") }
                    try scanner.expect(0x3A, "':' after a key")
                    data[category] = scanner.compactText(try scanner.skipValue(depth: 1))
                } while try scanner.nextMember(close: 0x7D)
            }
        } catch let error as JSONSyntaxError {
            throw syntax(error)
        } catch let error as ConsentError {
            throw error
        } catch {
            throw syntax(JSONSyntaxError(offset: 0, message: "\(error)"))
        }
        return data
    }
}
