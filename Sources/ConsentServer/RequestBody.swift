import ConsentCore
import ConsentFormats
import Foundation
import NIOCore

/// A JSON request body read into a `Decodable` type, with errors a client can act on: each
/// names the field as a JSON pointer (`/days`: must be a whole number, not a string). Fields
/// the type does not list are refused, so a typo is never silently ignored.
///
/// ```swift
/// struct Extension: RequestBody {
///     let days: Int?
///     let reason: String
///     enum CodingKeys: String, CodingKey, CaseIterable { case days, reason }
///     static let example = #"{"days": 30, "reason": "…"}"#
/// }
/// let asked = try Extension.decode(from: body)
/// ```
protocol RequestBody: Decodable {
    associatedtype CodingKeys: CodingKey & CaseIterable
    /// A body that would be accepted, shown when the body is not a JSON object.
    static var example: String { get }
    /// The fields that may be `null` (meaning none); any other field given as `null` is refused,
    /// as the API's schema says. None unless the type says so.
    static var nullable: Set<String> { get }
    /// The body read without `JSONDecoder`, for a body every request of a busy route sends:
    /// nil unless it is exactly what the type expects (anything else is read by the checked
    /// decoder, which says what is wrong). None unless the type has one.
    static func quickly(_ body: JSONValue) -> Self?
}

extension RequestBody {
    static var nullable: Set<String> { [] }

    /// No quick reading unless the type has one.
    static func quickly(_ body: JSONValue) -> Self? { nil }
}

extension RequestBody {
    /// Reads `body`, or throws a 400 ``Problem`` pointing at what is wrong.
    static func decode(from body: ByteBuffer) throws -> Self {
        if body.readableBytes <= 256, let parsed = try? body.withUnsafeReadableBytes({ bytes in
            try JSONParser.parse(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count))
        }), let quick = quickly(parsed) {
            return quick
        }
        let data = Data(buffer: body)
        do {
            return try JSONDecoder().decode(Checked<Self>.self, from: data).value
        } catch let problem as Problem {
            throw problem
        } catch let error as DecodingError {
            throw problem(for: error, in: data)
        }
    }

    /// The fields, as the problem lists them.
    // Closures, not key paths: a key path in generic code is built at run time, on every request.
    static var fieldNames: [String] { CodingKeys.allCases.map { $0.stringValue } }

    private static func problem(for error: DecodingError, in data: Data) -> Problem {
        // Parsed again only on this error path, to say what the bad value is.
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(String(decoding: data, as: UTF8.self))
        } catch {
            return Problem.invalid("", "the body is \(error.description)")
        }
        guard case .object(let members) = parsed else {
            return Problem.invalid("", "the body must be a JSON object like \(example)")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return Problem.invalid(pointer(context.codingPath + [key]), "is required")
        case .valueNotFound(_, let context):
            return Problem.invalid(pointer(context.codingPath), "is required")
        case .typeMismatch(let type, let context):
            let found = value(at: context.codingPath, in: parsed)?.kindName ?? "nothing"
            return Problem.invalid(pointer(context.codingPath), "must be \(describe(type)), not \(found)")
        case .dataCorrupted(let context):
            // Foundation reports a number that is no whole number (30.5, 1e40) as corrupt data at
            // no path; find it.
            if context.codingPath.isEmpty, let (key, text) = members.lazy.compactMap({ key, value -> (String, String)? in
                if case .number(let text) = value, Int(text) == nil { (key, text) } else { nil }
            }).first {
                return Problem.invalid("/" + key, "must be a whole number, not \(text)")
            }
            return Problem.invalid(pointer(context.codingPath), context.debugDescription)
        @unknown default:
            return Problem.invalid("", "the body does not match \(example)")
        }
    }

    private static func pointer(_ path: [any CodingKey]) -> String {
        path.map { key in "/" + (key.intValue.map(String.init) ?? key.stringValue) }.joined()
    }

    private static func value(at path: [any CodingKey], in value: JSONValue) -> JSONValue? {
        var current = value
        for key in path {
            switch current {
            case .object(let members):
                guard let next = members.first(where: { $0.key == key.stringValue })?.value else { return nil }
                current = next
            case .array(let elements):
                guard let index = key.intValue, elements.indices.contains(index) else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type: "a whole number"
        case is String.Type: "a string"
        case is [String].Type: "an array of strings"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

/// Decodes `Body` after checking that the object holds no field it does not list.
private struct Checked<Body: RequestBody>: Decodable {
    let value: Body

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let names = Body.fieldNames
        guard let container = try? decoder.container(keyedBy: AnyKey.self) else {
            throw Problem.invalid("", "the body must be a JSON object like \(Body.example)")
        }
        if let unknown = container.allKeys.map { $0.stringValue }.filter({ !names.contains($0) }).min() {
            throw Problem.invalid("/" + unknown, "unknown field \(jsonStringLiteral(unknown)); the fields are \(names.joined(separator: ", "))")
        }
        if let null = try container.allKeys.filter({ try container.decodeNil(forKey: $0) && !Body.nullable.contains($0.stringValue) })
            .map { $0.stringValue }.min() {
            throw Problem.invalid("/" + null, "must not be null")
        }
        value = try Body(from: decoder)
    }
}
