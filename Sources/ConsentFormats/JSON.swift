import ConsentCore

/// A parsed JSON value. Numbers keep their text so that nothing is rounded on the way through.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// What a person calls this kind of value in an error message.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON syntax error at a byte offset within the parsed text.
public struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String

    public var description: String { "not valid JSON at byte \(offset + 1): \(message)" }
}

/// A strict RFC 8259 parser that builds a ``JSONValue`` tree, on top of ``JSONScanner``.
public enum JSONParser {
    /// Parses one value filling the whole input (surrounding white space allowed).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        var scanner = JSONScanner(bytes)
        let value = try value(&scanner, depth: 0)
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw scanner.error("unexpected text after the value") }
        return value
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        var copy = text
        return try copy.withUTF8 { bytes in Result { () throws(JSONSyntaxError) in try parse(bytes) } }.get()
    }

    private static func value(_ scanner: inout JSONScanner, depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < 128 else { throw scanner.error("nested too deeply") }
        scanner.skipWhitespace()
        switch scanner.peek() {
        case 0x7B?:
            try scanner.expect(0x7B, "'{'")
            var members: [(key: String, value: JSONValue)] = []
            if !scanner.closesImmediately(0x7D) {
                repeat {
                    let key = try scanner.decode(try scanner.readString())
                    try scanner.expect(0x3A, "':' after a key")
                    members.append((key, try value(&scanner, depth: depth + 1)))
                } while try scanner.nextMember(close: 0x7D)
            }
            return .object(members)
        case 0x5B?:
            try scanner.expect(0x5B, "'['")
            var elements: [JSONValue] = []
            if !scanner.closesImmediately(0x5D) {
                repeat { elements.append(try value(&scanner, depth: depth + 1)) } while try scanner.nextMember(close: 0x5D)
            }
            return .array(elements)
        case 0x22?:
            return .string(try scanner.decode(try scanner.readString()))
        case nil:
            throw scanner.error("unexpected end of input")
        default:
            let range = try scanner.skipValue(depth: depth)
            let text = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[range]), as: UTF8.self)
            switch text {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default: return .number(text)
            }
        }
    }
}

/// Writes compact JSON; objects built with ``object(_:)`` have their keys sorted, which makes
/// the output canonical (the same input always gives the same bytes, and the same hash).
public enum JSONWriter {
    public static func string(_ value: String) -> String { jsonStringLiteral(value) }

    /// `{"key":value,...}` with keys in byte order; values are JSON text already.
    public static func object(_ members: [String: String]) -> String {
        var writer = JSONObjectWriter()
        for key in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            writer.field(key, members[key]!)
        }
        return writer.finish()
    }

    public static func array(_ elements: [String]) -> String { "[" + elements.joined(separator: ",") + "]" }

    public static func optional(_ value: String?) -> String { value.map(string) ?? "null" }

    public static func write(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let text): text
        case .string(let text): string(text)
        case .array(let elements): array(elements.map(write))
        case .object(let members):
            "{" + members.map { string($0.key) + ":" + write($0.value) }.joined(separator: ",") + "}"
        }
    }
}

/// Builds a JSON object whose keys the caller gives in byte order (so the output is canonical)
/// without a dictionary or a sort: the hot paths (audit entries, member records) use it.
public struct JSONObjectWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    #if DEBUG
    private var lastKey: String?
    #endif

    public init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    /// Appends `"key":json`; `json` must already be JSON text.
    public mutating func field(_ key: String, _ json: String) {
        self.key(key)
        bytes.append(contentsOf: json.utf8)
    }

    /// Appends `"key":"value"`, escaping `value` as a JSON string.
    public mutating func stringField(_ key: String, _ value: String) {
        self.key(key)
        appendStringLiteral(value)
    }

    /// Appends `"key":"value"`, or `"key":null`.
    public mutating func stringField(_ key: String, _ value: String?) {
        self.key(key)
        if let value { appendStringLiteral(value) } else { bytes.append(contentsOf: "null".utf8) }
    }

    public consuming func finish() -> String {
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// SHA-256 (hex) of what ``finish()`` would return, without making the string.
    public consuming func finishDigest() -> String {
        bytes.append(UInt8(ascii: "}"))
        return Digest.sha256Hex(bytes)
    }

    private mutating func key(_ key: String) {
        #if DEBUG
        assert(lastKey.map { $0.utf8.lexicographicallyPrecedes(key.utf8) } ?? true, "keys must come in byte order")
        lastKey = key
        #endif
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        appendStringLiteral(key)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func appendStringLiteral(_ value: String) {
        var value = value
        let clean = value.withUTF8 { utf8 in
            guard ByteScan.firstSpecial(utf8, from: 0, 0x22, 0x5C) == utf8.count else { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if !clean { bytes.append(contentsOf: jsonStringLiteral(value).utf8) }
    }
}
