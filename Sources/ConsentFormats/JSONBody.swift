import ConsentCore
import Foundation

/// JSON bodies written from `Encodable` types: keys sorted, no spaces, `/` unescaped, instants as
/// RFC 3339 (``Timestamp/format(_:)``). The API and the CLI print what these produce.
///
/// The hot paths that write JSON by hand (``DecisionRecords/decisionLine(member:decision:policy:use:)``,
/// the gate, imports, the log's canonical leaves) stay on ``JSONObjectWriter``: there the
/// bytes are either measured or part of a format that is hashed.
public enum JSONBody {
    /// The encoder every body goes through. A fresh one each call: `JSONEncoder` is not `Sendable`.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { instant, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(instant))
        }
        return encoder
    }

    /// `value` as JSON text.
    public static func string(_ value: some Encodable) -> String {
        do {
            return String(decoding: try encoder().encode(value), as: UTF8.self)
        } catch {
            // Only a non-finite Double can fail, and no body holds one.
            preconditionFailure("a JSON body failed to encode: \(error)")
        }
    }
}

/// An optional field written as `null` when absent, where the API's schema says the key is
/// always there (synthesised `Encodable` leaves a nil out).
@propertyWrapper
public struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

/// Parsed JSON written back as it was read (keys in their order, numbers as written when they
/// are whole), so a body can carry JSON text it holds, such as a manifest or an outbox payload.
extension JSONValue: Encodable {
    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .number(let text):
            var container = encoder.singleValueContainer()
            if let whole = Int64(text) {
                try container.encode(whole)
            } else if let decimal = Decimal(string: text) {
                try container.encode(decimal)
            } else {
                try container.encode(text)
            }
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .object(let members):
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in members { try container.encode(value, forKey: Key(stringValue: key)) }
        }
    }

    /// `text` parsed, for embedding in a body; text that is not JSON is embedded as a string.
    public static func embedding(_ text: String) -> JSONValue {
        (try? JSONParser.parse(text)) ?? .string(text)
    }
}
