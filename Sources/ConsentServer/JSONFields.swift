import ConsentCore
import ConsentFormats
import NIOCore

/// The fields of a JSON object request body, read with errors that point at the field
/// (`/days`: must be a whole number). Unknown fields are refused, so a typo is never ignored.
struct JSONFields {
    private var values: [String: JSONValue] = [:]

    init(_ body: ByteBuffer, allowed: [String], example: String) throws {
        let value: JSONValue
        do {
            value = try JSONParser.parse(String(buffer: body))
        } catch {
            throw Problem.invalid("", "the body is not valid JSON: \(error.description)")
        }
        guard case .object(let members) = value else { throw Problem.invalid("", "the body must be a JSON object like \(example)") }
        for (key, field) in members {
            guard allowed.contains(key) else {
                throw Problem.invalid("/" + key, "unknown field \(jsonStringLiteral(key)); the fields are \(allowed.joined(separator: ", "))")
            }
            values[key] = field
        }
    }

    /// A string field; absent or null is nil.
    func string(_ name: String) throws -> String? {
        switch values[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw Problem.invalid("/" + name, "must be a string, not \(other.kindName)")
        }
    }

    func requiredString(_ name: String) throws -> String {
        guard let text = try string(name) else { throw Problem.invalid("/" + name, "is required") }
        return text
    }

    /// Whether the body has the field at all (null counts as present).
    func has(_ name: String) -> Bool { values[name] != nil }

    func requiredBool(_ name: String) throws -> Bool {
        switch values[name] {
        case nil: throw Problem.invalid("/" + name, "is required")
        case .bool(let flag)?: return flag
        case let other?: throw Problem.invalid("/" + name, "must be true or false, not \(other.kindName)")
        }
    }

    func requiredInt(_ name: String) throws -> Int {
        switch values[name] {
        case nil, .null?: throw Problem.invalid("/" + name, "is required")
        case .number(let text)?:
            // 30 and 30.0 are the same number; 30.5 is not a whole one.
            if let number = Int(text) { return number }
            guard let value = Double(text), value.rounded() == value, abs(value) < 1e15 else {
                throw Problem.invalid("/" + name, "must be a whole number, not \(text)")
            }
            return Int(value)
        case let other?: throw Problem.invalid("/" + name, "must be a whole number, not \(other.kindName)")
        }
    }

    /// An array of strings; absent or null is nil.
    func strings(_ name: String) throws -> [String]? {
        switch values[name] {
        case nil, .null?: return nil
        case .array(let elements)?:
            return try elements.enumerated().map { index, element in
                guard case .string(let text) = element else { throw Problem.invalid("/\(name)/\(index)", "must be a string, not \(element.kindName)") }
                return text
            }
        case let other?: throw Problem.invalid("/" + name, "must be an array of strings, not \(other.kindName)")
        }
    }
}
